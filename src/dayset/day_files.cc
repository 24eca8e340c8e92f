#include "dayset/day_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include "store/day_store.h"

namespace itslog {

Result<DayFileList> LocalDayFiles::Files(const std::string& day) {
  DayFileList out;
  std::string path = DayFilePath(data_dir_, day);
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    out.files.push_back(HostFile{host_, std::move(path), true});
  }
  return out;
}

std::string DefaultHostId() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') {
    return "localhost";
  }
  std::string out = buf;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace itslog

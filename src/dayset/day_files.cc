#include "dayset/day_files.h"

#include <sys/stat.h>

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

}  // namespace itslog

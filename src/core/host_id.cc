#include "core/host_id.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace itslog {

bool IsValidHostId(std::string_view id) {
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (id.empty() || id.size() > 63 || !lower_alnum(id[0])) {
    return false;
  }
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return lower_alnum(c) || c == '.' || c == '-'; });
}

std::string DefaultHostId() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) {
    return "";
  }
  std::string name(buf);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

}  // namespace itslog

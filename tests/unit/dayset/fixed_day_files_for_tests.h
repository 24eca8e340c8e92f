// A DayFileSource for tests: the files of each day as the test lays them out, or a failure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dayset/day_files.h"

namespace itslog {

class FixedDayFiles : public DayFileSource {
 public:
  Result<DayFileList> Files(const std::string& day) override {
    ++calls;
    if (fail) {
      return *fail;
    }
    DayFileList out;
    if (auto it = days.find(day); it != days.end()) {
      out.files = it->second;
    }
    return out;
  }
  std::map<std::string, std::vector<HostFile>> days;  // sorted by host, as a source gives them
  std::optional<Status> fail;
  int calls = 0;
};

}  // namespace itslog

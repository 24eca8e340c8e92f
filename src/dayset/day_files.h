// Which files make up a day: one per host (this host's local file, other hosts' shipped
// files). A DayFileSource names them; the local one here knows only data_dir, the archive
// adds the shipped files of every host (DESIGN: "Several hosts and the archive").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace itslog {

// One host's file of a day.
struct HostFile {
  std::string host;        // the host_id the file belongs to
  std::string path;        // a local path, readable with DayReader
  bool own_local = false;  // this host's own file in data_dir (may still grow)
};

// The files of one day, sorted by host, each host at most once. pin keeps the files in place
// (an archive cache never evicts a file being read) for as long as the list lives.
struct DayFileList {
  std::vector<HostFile> files;
  std::shared_ptr<const void> pin;
};

class DayFileSource {
 public:
  virtual ~DayFileSource() = default;
  // The files of day ("YYYY-MM-DD"); an empty list when no host has it. Fails kUnavailable
  // when they cannot be had now (S3 unreachable), kCorrupt "archive_corrupt" naming the object
  // that failed its check. May block while files are fetched.
  virtual Result<DayFileList> Files(const std::string& day) = 0;
};

// The day file of data_dir alone, as the file of host. Thread-safe; does no I/O but a stat.
class LocalDayFiles : public DayFileSource {
 public:
  LocalDayFiles(std::string data_dir, std::string host)
      : data_dir_(std::move(data_dir)), host_(std::move(host)) {}
  Result<DayFileList> Files(const std::string& day) override;

 private:
  std::string data_dir_;
  std::string host_;
};

}  // namespace itslog

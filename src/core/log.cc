#include "core/log.h"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace itslog {

namespace {
const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}
}  // namespace

void StderrLogger::Write(LogLevel level, std::string_view message) {
  if (level < min_level_) {
    return;
  }
  std::string line = "itslog[" + std::to_string(getpid()) + "]: " + LevelName(level) + ": ";
  line.append(message);
  line += '\n';
  // One write(2) per line so that lines of concurrent workers do not interleave.
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

SyslogLogger::SyslogLogger(LogLevel min_level) : min_level_(min_level) {
  openlog("itslog", LOG_PID, LOG_DAEMON);
}

void SyslogLogger::Write(LogLevel level, std::string_view message) {
  if (level < min_level_) {
    return;
  }
  int priority = level == LogLevel::kError     ? LOG_ERR
                 : level == LogLevel::kWarning ? LOG_WARNING
                 : level == LogLevel::kInfo    ? LOG_INFO
                                               : LOG_DEBUG;
  syslog(priority, "%.*s", static_cast<int>(message.size()), message.data());
}

}  // namespace itslog

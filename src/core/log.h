// Logger: where the worker and the tools write what happened. Never pass it a key, a secret
// or a request body.
#pragma once

#include <string_view>

namespace itslog {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Write(LogLevel level, std::string_view message) = 0;
  void Info(std::string_view m) { Write(LogLevel::kInfo, m); }
  void Warning(std::string_view m) { Write(LogLevel::kWarning, m); }
  void Error(std::string_view m) { Write(LogLevel::kError, m); }
};

// Writes "itslog[pid]: level: message" lines to stderr.
class StderrLogger : public Logger {
 public:
  explicit StderrLogger(LogLevel min_level = LogLevel::kInfo) : min_level_(min_level) {}
  void Write(LogLevel level, std::string_view message) override;

 private:
  LogLevel min_level_;
};

// Writes to syslog (the journal under systemd), for when stderr goes nowhere useful
// (spawn-fcgi points it at /dev/null).
class SyslogLogger : public Logger {
 public:
  explicit SyslogLogger(LogLevel min_level = LogLevel::kInfo);
  void Write(LogLevel level, std::string_view message) override;

 private:
  LogLevel min_level_;
};

// Drops everything (tests, fuzzers).
class NullLogger : public Logger {
 public:
  void Write(LogLevel, std::string_view) override {}
};

}  // namespace itslog

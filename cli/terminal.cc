#include "cli/terminal.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/base/report.h"

namespace krepis::cli {
namespace {

std::string_view colour_of(RunStatus status) {
  switch (status) {
    case RunStatus::kOk:
      return "\x1b[32m";
    case RunStatus::kError:
      return "\x1b[31m";
    case RunStatus::kTimeout:
    case RunStatus::kOom:
      return "\x1b[33m";
    case RunStatus::kDenied:
    case RunStatus::kCrashed:
      return "\x1b[35m";
  }
  return "";
}

}  // namespace

bool colour_on_stdout() {
  static const bool on = ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
  return on;
}

void print_error(std::string_view message) { fmt::print(stderr, "krepis: {}\n", message); }

void print_log_entry(LogLevel level, std::string_view entry) {
  std::FILE* stream = (level == LogLevel::kWarn || level == LogLevel::kError) ? stderr : stdout;
  fmt::print(stream, "{}\n", entry);
  std::fflush(stream);
}

void print_human_report(const RunReport& report) {
  std::string line = usage_line(report);
  if (colour_on_stdout()) {
    std::string_view status = to_string(report.status);
    line = fmt::format("{}{}\x1b[0m{}", colour_of(report.status), status,
                       std::string_view(line).substr(status.size()));
  }
  fmt::print("{}\n", line);
  constexpr std::string_view kIndent = "        ";
  if (report.result_json && *report.result_json != "null") {
    fmt::print("{}result: {}\n", kIndent, *report.result_json);
  }
  if (report.error) {
    if (report.stopped_by != StopReason::kNone) {
      fmt::print("{}stopped by {}: {}\n", kIndent, to_string(report.stopped_by), *report.error);
    } else {
      fmt::print("{}{}: {}\n", kIndent, to_string(report.status), *report.error);
    }
  }
  std::fflush(stdout);
}

}  // namespace krepis::cli

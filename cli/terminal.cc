#include "cli/terminal.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "core/base/report.h"
#include "core/runtime/runtime.h"

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

void say_confinement_shortfall() {
  if (std::optional<std::string> shortfall = Runtime::confinement_shortfall()) {
    print_error(*shortfall);
  }
}

void print_error(std::string_view message) { fmt::print(stderr, "krepis: {}\n", message); }

void write_stdout(std::string_view text) {
  // A short write leaves the stream's error flag set, which finish_stdout reads.
  std::fwrite(text.data(), 1, text.size(), stdout);
}

int finish_stdout(int status) {
  // The stream remembers that a write failed, not why (errno is long gone by now): the
  // message says what was lost and the likely causes.
  if (std::fflush(stdout) == 0 && std::ferror(stdout) == 0) return status;
  print_error(
      "cannot write to stdout: reports or output were lost (a full disk, an I/O error, or a "
      "reader that went away)");
  return kOutputLost;
}

bool stdout_failed() { return std::ferror(stdout) != 0; }

void print_log_entry(LogLevel level, std::string_view entry) {
  std::FILE* stream = (level == LogLevel::kWarn || level == LogLevel::kError) ? stderr : stdout;
  // Never throws: this runs inside a console call, and a lost line must not become the
  // script's exception. A failure stays in the stream's error flag.
  std::fwrite(entry.data(), 1, entry.size(), stream);
  std::fputc('\n', stream);
  std::fflush(stream);
}

void print_error_detail(const RunReport& report, std::string_view indent) {
  // As node prints an uncaught error: the line, a caret under the place, the frames.
  auto print_lines = [&](std::string_view text, std::string_view more) {
    for (std::size_t start = 0; start < text.size();) {
      const std::size_t end = std::min(text.find('\n', start), text.size());
      print_out("{}{}{}\n", indent, more, text.substr(start, end - start));
      start = end + 1;
    }
  };
  if (report.error_source) print_lines(*report.error_source, "    ");
  if (report.stack) print_lines(*report.stack, "");
  for (const std::string& cause : report.causes) print_out("{}caused by: {}\n", indent, cause);
  if (report.hint) print_out("{}hint: {}\n", indent, *report.hint);
}

void print_human_report(const RunReport& report) {
  std::string line = usage_line(report);
  if (colour_on_stdout()) {
    std::string_view status = to_string(report.status);
    line = fmt::format("{}{}\x1b[0m{}", colour_of(report.status), status,
                       std::string_view(line).substr(status.size()));
  }
  print_out("{}\n", line);
  constexpr std::string_view kIndent = "        ";
  if (report.result_json && *report.result_json != "null") {
    print_out("{}result: {}\n", kIndent, *report.result_json);
  }
  if (report.error) {
    if (report.stopped_by != StopReason::kNone) {
      print_out("{}stopped by {}: {}\n", kIndent, to_string(report.stopped_by), *report.error);
    } else {
      print_out("{}{}: {}\n", kIndent, to_string(report.status), *report.error);
    }
    print_error_detail(report, kIndent);
  }
  std::fflush(stdout);
}

}  // namespace krepis::cli

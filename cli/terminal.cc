#include "cli/terminal.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "core/base/report.h"
#include "core/base/utf8.h"
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

bool colour_on(int fd) {
  if (std::getenv("NO_COLOR") != nullptr) return false;
  const char* force = std::getenv("CLICOLOR_FORCE");
  if (force != nullptr && std::string_view(force) != "0") return true;
  const char* term = std::getenv("TERM");
  return ::isatty(fd) == 1 && (term == nullptr || std::string_view(term) != "dumb");
}

bool colour_on_stdout() {
  static const bool on = colour_on(STDOUT_FILENO);
  return on;
}

void say_confinement_shortfall() {
  if (std::optional<std::string> shortfall = Runtime::confinement_shortfall()) {
    print_error(*shortfall);
  }
}

void print_error(std::string_view message) {
  // Messages name files, tenants and arguments, which may hold escape sequences: shown.
  fmt::print(stderr, "krepis: {}\n", visible_lines(message));
}

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
  // On a terminal, a script's escape sequences are shown, not obeyed; a pipe or a file gets
  // its bytes as they are.
  std::string shown;
  if (::isatty(::fileno(stream)) == 1) {
    shown = visible_lines(entry);
    entry = shown;
  }
  // Never throws: this runs inside a console call, and a lost line must not become the
  // script's exception. A failure stays in the stream's error flag.
  std::fwrite(entry.data(), 1, entry.size(), stream);
  std::fputc('\n', stream);
  std::fflush(stream);
}

std::string error_detail_text(const RunReport& report, std::string_view indent) {
  // As node prints an uncaught error: the line, a caret under the place, the frames.
  std::string text;
  // Every line is the script's (its source, its messages): shown, never obeyed.
  auto add_lines = [&](std::string_view lines, std::string_view more) {
    for (std::size_t start = 0; start < lines.size();) {
      const std::size_t end = std::min(lines.find('\n', start), lines.size());
      text +=
          fmt::format("{}{}{}\n", indent, more, visible_lines(lines.substr(start, end - start)));
      start = end + 1;
    }
  };
  if (report.error_source) add_lines(*report.error_source, "    ");
  if (report.stack) add_lines(*report.stack, "");
  for (const std::string& cause : report.causes) {
    text += fmt::format("{}caused by: {}\n", indent, one_line(cause));
  }
  if (report.hint) text += fmt::format("{}hint: {}\n", indent, one_line(*report.hint));
  return text;
}

void print_error_detail(const RunReport& report, std::string_view indent) {
  write_stdout(error_detail_text(report, indent));
}

std::string human_report_text(const RunReport& report, bool colour) {
  std::string line = usage_line(report);
  if (colour) {
    std::string_view status = to_string(report.status);
    line = fmt::format("{}{}\x1b[0m{}", colour_of(report.status), status,
                       std::string_view(line).substr(status.size()));
  }
  std::string text = line + "\n";
  constexpr std::string_view kIndent = "        ";
  // A result's JSON escapes C0 controls but not C1 ones (CSI, NEL) nor U+2028/9; an error's
  // message is the script's: both are shown, never obeyed.
  if (report.result_json && *report.result_json != "null") {
    text += fmt::format("{}result: {}\n", kIndent, one_line(*report.result_json));
  }
  if (report.output_truncated) {
    text += fmt::format(
        "{}output truncated: past the tier's max_output_lines or max_output_kb\n", kIndent);
  }
  if (report.error) {
    const std::string error = one_line(*report.error);
    if (report.stopped_by != StopReason::kNone) {
      text += fmt::format("{}stopped by {}: {}\n", kIndent, to_string(report.stopped_by), error);
    } else {
      text += fmt::format("{}{}: {}\n", kIndent, to_string(report.status), error);
    }
    text += error_detail_text(report, kIndent);
  }
  return text;
}

void print_human_report(const RunReport& report) {
  write_stdout(human_report_text(report, colour_on_stdout()));
  std::fflush(stdout);
}

}  // namespace krepis::cli

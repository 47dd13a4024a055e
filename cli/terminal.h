// Human output on the terminal: where each kind of line goes, and colour when it helps.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>

#include "core/base/run_output.h"
#include "core/base/run_report.h"

namespace krepis::cli {

// Colour for a terminal that is not TERM=dumb; never with NO_COLOR (no-color.org), always
// with CLICOLOR_FORCE (not "0"). `--color=never|always` sets them for the whole process.
bool colour_on(int fd);
bool colour_on_stdout();

// "krepis: <message>" on stderr.
void print_error(std::string_view message);
// Says on stderr what this kernel cannot enforce of the sandbox, if anything: once per
// command that runs tenant code.
void say_confinement_shortfall();

// Every write to stdout goes through these: they never throw, and a failed write (ENOSPC,
// EIO; EPIPE when SIGPIPE is ignored) is remembered by the stream, never silent.
void write_stdout(std::string_view text);
template <class... Args>
void print_out(fmt::format_string<Args...> format, Args&&... args) {
  write_stdout(fmt::format(format, std::forward<Args>(args)...));
}
// True once a write to stdout failed.
bool stdout_failed();

// The exit status when stdout lost reports or output (docs/CLI.md); it wins over every other.
inline constexpr int kOutputLost = 74;
// At the end of a command: flushes stdout and returns `status`, or, when anything written
// to stdout was lost, says so on stderr and returns kOutputLost.
int finish_stdout(int status);

// A console entry as the script logs it: log/info/debug to stdout, warn/error to stderr.
void print_log_entry(LogLevel level, std::string_view entry);

// The usage line of a run, with its result or error beneath, on stdout.
void print_human_report(const RunReport& report);
// The same text, for another stream (run --report); `colour` when that stream shows it.
std::string human_report_text(const RunReport& report, bool colour);

// An error's source line with its caret, its frames, its causes and the operator's hint,
// each line after `indent` (print_human_report's, and the REPL's).
void print_error_detail(const RunReport& report, std::string_view indent);

}  // namespace krepis::cli

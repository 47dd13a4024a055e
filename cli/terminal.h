// Human output on the terminal: where each kind of line goes, and colour when it helps.
#pragma once

#include <string>
#include <string_view>

#include "core/base/run_output.h"
#include "core/base/run_report.h"

namespace krepis::cli {

// Colour only for a terminal, and never when NO_COLOR is set (no-color.org).
bool colour_on_stdout();

// "krepis: <message>" on stderr.
void print_error(std::string_view message);

// A console entry as the script logs it: log/info/debug to stdout, warn/error to stderr.
void print_log_entry(LogLevel level, std::string_view entry);

// The usage line of a run, with its result or error beneath, on stdout.
void print_human_report(const RunReport& report);

}  // namespace krepis::cli

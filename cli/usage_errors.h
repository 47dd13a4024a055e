// Command-line mistakes in krepis's own voice: `krepis: unknown command 'rnu' (did you mean
// 'run'?)`, the same for options, `krepis help [COMMAND]`. Every usage error starts with
// "krepis:" and ends the process with status 2 (docs/CLI.md).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace krepis::cli {

inline constexpr int kUsageError = 2;

// What to do before CLI11 parses: `krepis help [COMMAND]` prints that help (status 0); no
// command, or an unknown one, is a usage error (status 2). Nothing when parsing goes on.
std::optional<int> before_parsing(const CLI::App& app, int argc, const char* const* argv);

// The message for a command line CLI11 refused, without "krepis: ": an unknown option is
// named with the closest known one; anything else in CLI11's words.
std::string usage_error_message(const CLI::App& app, const CLI::ParseError& error, int argc,
                                const char* const* argv);

}  // namespace krepis::cli

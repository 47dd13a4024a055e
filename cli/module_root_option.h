// --module-root DIR (run, repl): the folder that scripts without one of their own (-e,
// stdin, REPL entries) import ES modules from, and that run's files import from instead of
// their own folders. Without it, those scripts import nothing.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

namespace krepis::cli {

void add_module_root_option(CLI::App& command, std::optional<std::string>& module_root);

// The folder --module-root names, checked: nullopt without the option. False (with the
// message printed) when it is not a folder or cannot be a root (module_root.h).
bool check_module_root(const std::optional<std::string>& option,
                       std::optional<std::filesystem::path>& folder);

}  // namespace krepis::cli

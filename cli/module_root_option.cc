#include "cli/module_root_option.h"

#include <fmt/format.h>

#include "cli/terminal.h"
#include "core/base/module_root.h"

namespace krepis::cli {

void add_module_root_option(CLI::App& command, std::optional<std::string>& module_root) {
  command
      .add_option("--module-root", module_root,
                  "Folder that -e, stdin and REPL entries import ES modules from (and script "
                  "files, instead of their own folders); without it they import nothing")
      ->type_name("DIR");
}

bool check_module_root(const std::optional<std::string>& option,
                       std::optional<std::filesystem::path>& folder) {
  folder.reset();
  if (!option) return true;
  std::error_code error;
  if (!std::filesystem::is_directory(*option, error)) {
    print_error(fmt::format("--module-root {}: {}", *option,
                            std::filesystem::exists(*option, error) ? "not a folder"
                                                                     : "no such folder"));
    return false;
  }
  if (std::optional<std::string> unfit = unfit_module_root(*option)) {
    print_error(fmt::format("--module-root {}: {}", *option, *unfit));
    return false;
  }
  folder = *option;
  return true;
}

}  // namespace krepis::cli

#include "cli/usage_errors.h"

#include <fmt/format.h>

#include <string_view>
#include <vector>

#include "cli/terminal.h"
#include "core/base/did_you_mean.h"

namespace krepis::cli {
namespace {

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands({})) names.push_back(command->get_name());
  return names;
}

std::string command_list(const std::vector<std::string>& names) {
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i) {
    list += i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ");
    list += names[i];
  }
  return list;
}

// Every spelling of every option of the command (and the app's own: --help, --version).
std::vector<std::string> option_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    for (const std::string& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

}  // namespace

std::optional<int> before_parsing(const CLI::App& app, int argc, const char* const* argv) {
  const std::vector<std::string> names = command_names(app);
  if (argc < 2) {
    print_error(
        fmt::format("give a command: {} (krepis --help says what each does)", command_list(names)));
    return kUsageError;
  }
  const std::string_view first = argv[1];
  if (first == "help") {
    if (argc == 2) {
      write_stdout(app.help());
      return 0;
    }
    for (const CLI::App* command : app.get_subcommands({})) {
      if (command->get_name() == argv[2]) {
        write_stdout(command->help(app.get_name()));
        return 0;
      }
    }
    print_error(fmt::format("help: unknown command '{}'{}", argv[2], did_you_mean(argv[2], names)));
    return kUsageError;
  }
  if (first.starts_with("-")) return std::nullopt;  // --help, --version, or CLI11's to refuse
  for (const std::string& name : names) {
    if (name == first) return std::nullopt;
  }
  print_error(fmt::format("unknown command '{}'{}; the commands are {}", first,
                          did_you_mean(first, names), command_list(names)));
  return kUsageError;
}

std::string usage_error_message(const CLI::App& app, const CLI::ParseError& error, int argc,
                                const char* const* argv) {
  const CLI::App* command = nullptr;
  if (argc >= 2) {
    for (const CLI::App* candidate : app.get_subcommands({})) {
      if (candidate->get_name() == argv[1]) command = candidate;
    }
  }
  if (command != nullptr &&
      error.get_exit_code() == static_cast<int>(CLI::ExitCodes::ExtrasError)) {
    std::vector<std::string> known = option_names(*command);
    for (const std::string& name : option_names(app)) known.push_back(name);
    for (int i = 2; i < argc; ++i) {
      std::string_view word = argv[i];
      if (word == "--") break;
      if (!word.starts_with("-") || word == "-") continue;
      word = word.substr(0, word.find('='));
      bool is_known = false;
      for (const std::string& name : known) is_known = is_known || name == word;
      if (!is_known) {
        // A one-letter option has no likely neighbour worth naming.
        const std::string suggestion = word.starts_with("--") ? did_you_mean(word, known) : "";
        return fmt::format("{}: unknown option '{}'{} (krepis {} --help lists them)",
                           command->get_name(), word, suggestion, command->get_name());
      }
    }
  }
  const std::string where = command != nullptr ? command->get_name() + ": " : "";
  const std::string help =
      command != nullptr ? "krepis " + command->get_name() + " --help" : "krepis --help";
  return fmt::format("{}{} ({})", where, error.what(), help);
}

}  // namespace krepis::cli

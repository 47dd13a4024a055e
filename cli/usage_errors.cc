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

// Every spelling of every option of the command, --help included.
std::vector<std::string> option_names(const CLI::App& command) {
  std::vector<std::string> names{"--color"};
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    for (const std::string& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

// The option of the command spelled `word`, if any; krepis's own --color counts too (it
// falls through from every command).
const CLI::Option* option_named(const CLI::App& command, std::string_view word) {
  if (word == "--color" && command.get_parent() != nullptr) {
    return command.get_parent()->get_option_no_throw("--color");
  }
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) {
      if (word == "--" + name) return option;
    }
    for (const std::string& name : option->get_snames()) {
      if (word == "-" + name) return option;
    }
  }
  return nullptr;
}

// The first word of the command line that looks like an option and is none of the
// command's; the values of its options (`-e -1`) are skipped.
std::optional<std::string> unknown_option(const CLI::App& command, int argc,
                                          const char* const* argv) {
  for (int i = 2; i < argc; ++i) {
    std::string_view word = argv[i];
    if (word == "--") break;
    if (!word.starts_with("-") || word == "-") continue;
    const std::size_t equals = word.find('=');
    const std::string_view name = word.substr(0, equals);
    const CLI::Option* option = option_named(command, name);
    if (option == nullptr) return std::string(name);
    // An option that takes a value, given without `=`: the next word is its value.
    if (equals == std::string_view::npos && option->get_type_size() > 0) ++i;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int> before_parsing(const CLI::App& app, int argc, const char* const* argv) {
  const std::vector<std::string> names = command_names(app);
  if (argc < 2) {
    print_error(
        fmt::format("give a command: {} (krepis --help says what each does)", command_list(names)));
    return kUsageError;
  }
  // `--report=` with nothing after it: CLI11 would take the next word as the value (a
  // script, which --report would then overwrite).
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--") break;
    if (word.starts_with("--") && word.ends_with("=")) {
      print_error(fmt::format("{} has no value after '='", word.substr(0, word.size() - 1)));
      return kUsageError;
    }
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
  if (first.starts_with("-")) {
    for (std::string_view own : {"-h", "--help", "-V", "--version"}) {
      if (first == own) return std::nullopt;
    }
    // `krepis --color=never run ...`: the command comes after it.
    if (first.starts_with("--color")) return std::nullopt;
    print_error(fmt::format("unknown option '{}': give a command first ({}), then its options",
                            first, command_list(names)));
    return kUsageError;
  }
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
  if (command != nullptr) {
    // Whatever CLI11 stumbled on, a mistyped option is the likelier mistake to name.
    if (std::optional<std::string> word = unknown_option(*command, argc, argv)) {
      // A one-letter option has no likely neighbour worth naming.
      const std::string suggestion =
          word->starts_with("--") ? did_you_mean(*word, option_names(*command)) : "";
      return fmt::format("{}: unknown option '{}'{} (krepis {} --help lists them)",
                         command->get_name(), *word, suggestion, command->get_name());
    }
  }
  const std::string where = command != nullptr ? command->get_name() + ": " : "";
  const std::string help =
      command != nullptr ? "krepis " + command->get_name() + " --help" : "krepis --help";
  return fmt::format("{}{} ({})", where, error.what(), help);
}

}  // namespace krepis::cli

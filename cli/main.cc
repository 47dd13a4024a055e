// krepis's entry point: the table of commands. Each command's options, help and printing
// live in the cli library (cli/*_command.cc), its work in core/ (docs/ARCHITECTURE.md).
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>
#include <functional>
#include <optional>

#include "cli/batch_command.h"
#include "cli/repl_command.h"
#include "cli/run_command.h"
#include "cli/summarize_command.h"
#include "cli/tenants_command.h"
#include "cli/terminal.h"
#include "cli/usage_errors.h"
#include "core/base/loader_tables.h"
#include "core/runtime/runtime.h"

namespace {

constexpr int kInternalError = 4;

}  // namespace

int main(int argc, char** argv) {
  // The loader is done: its 11 MiB of tables need not stay in every krepis process's memory.
  krepis::release_loader_tables();
  CLI::App app{
      "krepis: run untrusted JavaScript in warm V8 isolates, under a heap cap and a "
      "deadline, and report what each run cost.",
      "krepis"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", std::string("krepis " KREPIS_VERSION " (V8 ") +
                                           krepis::Runtime::engine_version() + ")");
  app.footer("Run `krepis COMMAND --help` for a command's options and examples.");
  std::string colour = "auto";
  app.add_option("--color", colour,
                 "When to colour human output: auto (a terminal, without NO_COLOR or "
                 "TERM=dumb), always, never; before or after the command")
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  // Options of the app itself (--color) may come after the command's name too.
  app.fallthrough();

  krepis::cli::RunOptions run_options;
  krepis::cli::TenantsOptions tenants_options;
  krepis::cli::BatchOptions batch_options;
  krepis::cli::SummarizeOptions summarize_options;
  krepis::cli::ReplOptions repl_options;
  // The command table: each command adds its options and names its entry point.
  struct Command {
    std::function<void()> add;
    std::function<int()> execute;
    const char* name;
  };
  const Command commands[] = {
      {[&] { krepis::cli::add_run_command(app, run_options); },
       [&] { return krepis::cli::run_command(run_options); }, "run"},
      {[&] { krepis::cli::add_batch_command(app, batch_options); },
       [&] { return krepis::cli::batch_command(batch_options); }, "batch"},
      {[&] { krepis::cli::add_repl_command(app, repl_options); },
       [&] { return krepis::cli::repl_command(repl_options); }, "repl"},
      {[&] { krepis::cli::add_tenants_command(app, tenants_options); },
       [&] { return krepis::cli::tenants_command(tenants_options); }, "tenants"},
      {[&] { krepis::cli::add_summarize_command(app, summarize_options); },
       [&] { return krepis::cli::summarize_command(summarize_options); }, "summarize"},
  };
  for (const Command& command : commands) command.add();

  if (std::optional<int> status = krepis::cli::before_parsing(app, argc, argv)) {
    return krepis::cli::finish_stdout(*status);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    krepis::cli::print_error(krepis::cli::usage_error_message(app, e, argc, argv));
    return krepis::cli::kUsageError;
  }
  // Before any output, and inherited by the worker processes: the environment variables
  // that colour_on (cli/terminal.h) reads.
  if (colour == "never") ::setenv("NO_COLOR", "1", 1);
  if (colour == "always") {
    ::unsetenv("NO_COLOR");
    ::setenv("CLICOLOR_FORCE", "1", 1);
  }
  try {
    for (const Command& command : commands) {
      // Whatever the command's status, reports lost on the way out are never silent.
      if (app.got_subcommand(command.name)) return krepis::cli::finish_stdout(command.execute());
    }
  } catch (const std::exception& e) {
    // Nothing should reach here: faults are values. Say so rather than die silently.
    krepis::cli::print_error(std::string("internal error: ") + e.what());
    return kInternalError;
  }
  return krepis::cli::kUsageError;
}

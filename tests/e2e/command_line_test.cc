// Command-line mistakes in krepis's own voice: each usage error starts with "krepis:", names
// what was wrong with the closest right spelling, and ends with exit status 2; `help` and
// -V work as a shell user expects.
#include <doctest/doctest.h>

#include <string>

#include "e2e/krepis_process.h"

namespace krepis::test {
namespace {

void check_usage_error(const std::vector<std::string>& args, const std::string& message) {
  ProcessResult run = run_krepis(args);
  CAPTURE(run.err);
  CHECK(run.exit_status == 2);
  CHECK(run.out.empty());
  CHECK(run.err == "krepis: " + message + "\n");
}

TEST_CASE("an unknown command or option is named, with the closest known one") {
  check_usage_error({"rnu", "x.js"},
                    "unknown command 'rnu' (did you mean 'run'?); the commands are run, batch, "
                    "repl, tenants or summarize");
  check_usage_error({"frobnicate"},
                    "unknown command 'frobnicate'; the commands are run, batch, repl, tenants or "
                    "summarize");
  check_usage_error({},
                    "give a command: run, batch, repl, tenants or summarize (krepis --help "
                    "says what each does)");
  check_usage_error({"run", "--jsn", "-e", "1"},
                    "run: unknown option '--jsn' (did you mean '--json'?) (krepis run --help "
                    "lists them)");
  check_usage_error({"batch", "--job=3", "dir"},
                    "batch: unknown option '--job' (did you mean '--jobs'?) (krepis batch --help "
                    "lists them)");
  check_usage_error({"run", "-x", "-e", "1"},
                    "run: unknown option '-x' (krepis run --help lists them)");
  // Only the command's own options are suggested (run takes no --version).
  check_usage_error({"run", "--versoin", "-e", "1"},
                    "run: unknown option '--versoin' (krepis run --help lists them)");
  // An option's value is not taken for an option; a typo is named whatever else is wrong.
  check_usage_error({"run", "-e", "-1", "--jsn"},
                    "run: unknown option '--jsn' (did you mean '--json'?) (krepis run --help "
                    "lists them)");
  check_usage_error({"run", "--tenats", "t.toml", "-e", "1"},
                    "run: unknown option '--tenats' (did you mean '--tenants'?) (krepis run "
                    "--help lists them)");
  check_usage_error({"--bogus"},
                    "unknown option '--bogus': give a command first (run, batch, repl, tenants "
                    "or summarize), then its options");
}

TEST_CASE("other usage errors start with krepis: and name the command") {
  check_usage_error({"run", "--heap-mb", "abc", "-e", "1"},
                    "run: Could not convert: --heap-mb = abc (krepis run --help)");
  check_usage_error({"batch"}, "batch: dir is required (krepis batch --help)");
  check_usage_error({"help", "rpl"}, "help: unknown command 'rpl' (did you mean 'repl'?)");
}

TEST_CASE("krepis help [COMMAND] and -V") {
  ProcessResult help = run_krepis({"help"});
  CHECK(help.exit_status == 0);
  CHECK(help.out.find("Subcommands:") != std::string::npos);
  ProcessResult help_run = run_krepis({"help", "run"});
  CHECK(help_run.exit_status == 0);
  CHECK(help_run.out == run_krepis({"run", "--help"}).out);
  ProcessResult version = run_krepis({"-V"});
  CHECK(version.exit_status == 0);
  CHECK(version.out.starts_with("krepis "));
  CHECK(version.out.find(" (V8 ") != std::string::npos);
  CHECK(version.out == run_krepis({"--version"}).out);
}

}  // namespace
}  // namespace krepis::test

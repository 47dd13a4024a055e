// A script's control characters and escape sequences never reach the operator's terminal as
// such: they are shown (\x1B, \u009B) in reports always, and in the script's output when it
// goes to a terminal; a pipe gets the output's bytes as they are. Colour follows NO_COLOR and
// TERM=dumb.
#include <doctest/doctest.h>

#include <string>

#include "e2e/krepis_process.h"
#include "e2e/pty_session.h"

namespace krepis::test {
namespace {

TEST_CASE("a report shows a script's escape sequences instead of obeying them") {
  ProcessResult run = run_krepis(
      {"run", "-e", "globalThis.r = '\\u009b1m'; throw new Error('\\x1b[2Jcleared' + r)"});
  CHECK(run.exit_status == 1);
  CHECK(run.out.find('\x1b') == std::string::npos);
  CHECK(run.out.find("\xc2\x9b") == std::string::npos);
  CHECK(run.out.find("Uncaught Error: \\x1B[2Jcleared\\u009B1m") != std::string::npos);
  ProcessResult result = run_krepis({"run", "-e", "'title\\u009b]0;owned\\x07'"});
  CHECK(result.out.find("result: \"title\\u009B]0;owned\\u0007\"") != std::string::npos);
  // JSON escapes them as JSON does.
  ProcessResult json = run_krepis({"run", "--json", "-e", "console.log('\\x1b[31mred')"});
  CHECK(json.out.find("\"output\":[\"\\u001b[31mred\"]") != std::string::npos);
  // JSON escapes C1 controls and U+2028/U+2029 too.
  ProcessResult c1 = run_krepis({"run", "--json", "-e", "'\\u009b\\u2028'"});
  CHECK(c1.out.find("\"result\":\"\\u009b\\u2028\"") != std::string::npos);
  // So are names in krepis's own messages.
  ProcessResult missing = run_krepis({"run", "--tenants", "y\x1b[2J.toml", "-e", "1"});
  CHECK(missing.exit_status == 2);
  CHECK(missing.err.find('\x1b') == std::string::npos);
  CHECK(missing.err.find("y\\x1B[2J.toml") != std::string::npos);
  // A tenant's name, from the command line or a manifest, is shown too.
  ProcessResult tenant = run_krepis({"run", "--tenant", "x\x1b]0;owned\x07", "-e", "1"});
  CHECK(tenant.out.find('\x1b') == std::string::npos);
  CHECK(tenant.out.find("x\\x1B]0;owned\\x07") != std::string::npos);
}

TEST_CASE("the REPL and summarize show escape sequences instead of obeying them") {
  const std::string entries =
      temp_file("entries.js", "'\\x1b[2Jcleared'\nthrow new Error('\\x1b[31mred')\n");
  ProcessResult repl = run_krepis_with({.stdin_path = entries}, {"repl"});
  CHECK(repl.out.find('\x1b') == std::string::npos);
  CHECK(repl.out.find("\\x1B[2Jcleared") != std::string::npos);
  CHECK(repl.out.find("\\x1B[31mred") != std::string::npos);
  const std::string lines =
      temp_file("runs.jsonl",
                "{\"tenant\":\"a\\u001b[2Jb\",\"script\":\"x.js\",\"status\":\"ok\",\"wall_ms\":1,"
                "\"cpu_ms\":1,\"heap_used_bytes\":1,\"heap_peak_bytes\":1,\"heap_cap_bytes\":1,"
                "\"external_bytes\":0,\"isolate\":\"cold\"}\n");
  ProcessResult summary = run_krepis({"summarize", lines});
  CHECK(summary.exit_status == 0);
  CHECK(summary.out.find('\x1b') == std::string::npos);
  CHECK(summary.out.find("a\\x1B[2Jb") != std::string::npos);
}

TEST_CASE("a script's output is shown on a terminal, and passed as it is to a pipe") {
  ProcessResult piped = run_krepis({"run", "-e", "console.log('\\x1b[31mred\\ttab')"});
  CHECK(piped.out.starts_with("\x1b[31mred\ttab\n"));
  PtySession terminal({"run", "-e", "console.log('\\x1b[31mred\\ttab')"}, {"NO_COLOR"});
  CHECK(terminal.wait_for("\\x1B[31mred\ttab"));
  CHECK(terminal.wait_exit() == 0);
  CHECK(terminal.output().find("\x1b[31mred") == std::string::npos);
}

TEST_CASE("colour on a terminal, unless NO_COLOR is set or TERM is dumb") {
  PtySession coloured({"run", "-e", "1"}, {"NO_COLOR", "TERM=xterm"});
  CHECK(coloured.wait_exit() == 0);
  CHECK(coloured.output().find("\x1b[32mok") != std::string::npos);
  PtySession dumb({"run", "-e", "1"}, {"NO_COLOR", "TERM=dumb"});
  CHECK(dumb.wait_exit() == 0);
  CHECK(dumb.output().find('\x1b') == std::string::npos);
  PtySession no_colour({"run", "-e", "1"}, {"NO_COLOR=1", "TERM=xterm"});
  CHECK(no_colour.wait_exit() == 0);
  CHECK(no_colour.output().find('\x1b') == std::string::npos);
}

TEST_CASE("--color=always colours a pipe too, --color=never not even a terminal") {
  ProcessResult always = run_krepis({"run", "--color=always", "-e", "1"});
  CHECK(always.out.starts_with("\x1b[32mok\x1b[0m"));
  ProcessResult before_command = run_krepis({"--color", "always", "run", "-e", "1"});
  CHECK(before_command.out.starts_with("\x1b[32mok\x1b[0m"));
  PtySession never({"run", "--color=never", "-e", "1"}, {"NO_COLOR", "TERM=xterm"});
  CHECK(never.wait_exit() == 0);
  CHECK(never.output().find('\x1b') == std::string::npos);
  ProcessResult wrong = run_krepis({"run", "--color=sometimes", "-e", "1"});
  CHECK(wrong.exit_status == 2);
  CHECK(wrong.err.starts_with("krepis: run: --color: sometimes not in {auto,always,never}"));
}

}  // namespace
}  // namespace krepis::test

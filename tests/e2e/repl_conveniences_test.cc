// The REPL's conveniences: Tab completes globals and properties without running the
// script's getters, `_` holds the last result, .save writes the entries, .editor takes
// several lines as one entry, .input sets `input`, and errors name the entry
// (repl:<entry>:<line>:<column>).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "e2e/krepis_process.h"
#include "e2e/pty_session.h"

namespace krepis::test {
namespace {

namespace fs = std::filesystem;

struct Session {
  fs::path root = temp_folder();
  fs::path manifest = root / "tenants.toml";
  // A terminal libedit edits on (TERM=dumb turns editing off, and with it Tab).
  std::vector<std::string> env{"XDG_STATE_HOME=" + (root / "state").string(), "NO_COLOR=1",
                               "TERM=xterm"};
  Session() { write_file(manifest, "[tenants.a]\ndeadline_ms = 5000\n"); }
  std::vector<std::string> args() const {
    return {"repl", "--tenants", manifest.string(), "--tenant", "a"};
  }
  ProcessResult piped(const std::string& input) const {
    return start_krepis(args(), {"", {}, temp_file("entries.js", input)}).wait();
  }
};

TEST_CASE_FIXTURE(Session, "pty: Tab completes a global, then a property of it") {
  PtySession repl(args(), env);
  REQUIRE(repl.wait_for("a> "));
  // console's and krepis's properties, before any entry has read either (a run's context
  // makes them on first read; the session's has them from the start).
  repl.send("console.lo\t");
  repl.send(".name.length\r");
  CHECK(repl.wait_for("\r\n3\r\n"));
  REQUIRE(repl.wait_for("a> "));
  repl.send("Object.keys(krepis.ten\t");
  repl.send(").length\r");
  CHECK(repl.wait_for("\r\n2\r\n"));
  REQUIRE(repl.wait_for("a> "));
  // One match: the word is completed in place (the screen shows it in pieces, so what runs
  // says what the line became).
  repl.send("Mat\t");
  repl.send(".fl\t");
  repl.send("(2.5)\r");
  CHECK(repl.wait_for("\r\n2\r\n"));
  REQUIRE(repl.wait_for("a> "));
  // The session's own globals too.
  repl.send("const inventory = {apples: 3, pears: 4}\r");
  REQUIRE(repl.wait_for("a> "));
  repl.send("inventory.ap\t");
  repl.send("\r");
  CHECK(repl.wait_for("\r\n3\r\n"));
  REQUIRE(repl.wait_for("a> "));
  repl.send("\x04");
  CHECK(repl.wait_exit() == 0);
}

TEST_CASE_FIXTURE(Session, "pty: Tab never runs a getter or a Proxy trap of the session's") {
  PtySession repl(args(), env);
  REQUIRE(repl.wait_for("a> "));
  repl.send(
      "let touched = 0; const lazy = { get deep() { touched++; return {secret: 1}; } }; "
      "const trap = new Proxy({}, { ownKeys() { touched++; return ['x']; }, "
      "getOwnPropertyDescriptor() { touched++; } })\r");
  REQUIRE(repl.wait_for("a> "));
  repl.send("lazy.deep.se\t");
  repl.send("\x15");  // Ctrl-U: drop the line
  repl.send("trap.x\t");
  repl.send("\x15");
  repl.send("'touched ' + touched\r");
  CHECK(repl.wait_for("touched 0"));
  REQUIRE(repl.wait_for("a> "));
  // The name of an accessor is offered (it is not run): the entry runs it.
  repl.send("lazy.de\t.secret\r");
  CHECK(repl.wait_for("\r\n1\r\n"));
  REQUIRE(repl.wait_for("a> "));
  repl.send("\x04");
  CHECK(repl.wait_exit() == 0);
}

TEST_CASE_FIXTURE(Session, "pty: Tab makes no lazy global and reads no index of a huge object") {
  PtySession repl(args(), env);
  REQUIRE(repl.wait_for("a> "));
  // Making `crypto` would set its `subtle`, through a setter of the script's.
  repl.send(
      "Object.defineProperty(Object.prototype, 'subtle', {set() { globalThis.hit = 'ran'; }, "
      "configurable: true}); var big = new String('x'.repeat(1 << 24)); 'ready'\r");
  REQUIRE(repl.wait_for("ready"));
  REQUIRE(repl.wait_for("a> "));
  repl.send("crypto.getR\t");
  repl.send("\x15");
  repl.send("typeof hit\r");
  CHECK(repl.wait_for("\r\nundefined\r\n"));
  REQUIRE(repl.wait_for("a> "));
  // 16 million indices are no names: the one name that matches is found at once.
  repl.send("big.len\t\r");
  CHECK(repl.wait_for("\r\n16777216\r\n"));
  REQUIRE(repl.wait_for("a> "));
  repl.send("\x04");
  CHECK(repl.wait_exit() == 0);
}

TEST_CASE_FIXTURE(Session, "pty: .editor runs several lines as one entry at Ctrl-D") {
  PtySession repl(args(), env);
  REQUIRE(repl.wait_for("a> "));
  repl.send(".editor\r");
  REQUIRE(repl.wait_for("editor mode"));
  // Each line once the editor asks for it: keys typed before it does may be dropped as the
  // terminal's mode changes.
  for (const char* line : {"const a = 20;\r", "const b = 22;\r", "a + b\r", "\x04"}) {
    REQUIRE(repl.wait_for("... "));
    repl.send(line);
  }
  CHECK(repl.wait_for("\r\n42\r\n"));
  REQUIRE(repl.wait_for("a> "));
  repl.send("\x04");
  CHECK(repl.wait_exit() == 0);
}

TEST_CASE_FIXTURE(Session, "`_` holds the last result until an entry takes `_` for itself") {
  ProcessResult run = piped("6 * 7\n_ + 1\n_ = 'mine'\n100\n_\n");
  CHECK(run.exit_status == 0);
  CHECK(run.out.find("42\nok") != std::string::npos);
  CHECK(run.out.find("43\nok") != std::string::npos);
  // After `_ = 'mine'`, 100 does not replace it.
  CHECK(run.out.find("100\nok") != std::string::npos);
  CHECK(run.out.rfind("mine\nok") > run.out.find("100\nok"));
}

TEST_CASE_FIXTURE(Session, "`_` holds NaN like any other value") {
  ProcessResult run = piped("0/0\n1 + 1\n_\n");
  CHECK(run.out.find("NaN\nok") != std::string::npos);
  CHECK(run.out.rfind("2\nok") > run.out.find("NaN\nok"));
  CHECK(run.out.find("2\nok", run.out.find("2\nok") + 1) != std::string::npos);
}

TEST_CASE_FIXTURE(Session, "top-level await: declarations carry to later entries, the value is awaited") {
  ProcessResult run = piped(
      "const {a, b} = await Promise.resolve({a: 20, b: 22})\n"
      "a + b\n"
      "await new Promise((resolve) => setTimeout(() => resolve('late'), 10))\n"
      "_\n"
      "async function twice(n) { return 2 * n; }\n"
      "let doubled = await twice(a); function named() {} class Kept {}\n"
      "[doubled, typeof named, typeof Kept]\n");
  CHECK(run.exit_status == 0);
  CHECK(run.out.find("undefined\nok") != std::string::npos);  // the declaration's value
  CHECK(run.out.find("\n42\nok") != std::string::npos);
  CHECK(run.out.find("\nlate\nok") != std::string::npos);
  CHECK(run.out.find("late\nok", run.out.find("\nlate\nok") + 2) != std::string::npos);
  CHECK(run.out.find("[ 40, 'function', 'function' ]") != std::string::npos);
}

TEST_CASE_FIXTURE(Session, "top-level await: the rewrite keeps what the code means") {
  ProcessResult run = piped(
      // A bracketed comma expression keeps its brackets.
      "await 1; const b = (0, 5)\n"
      "'b=' + b\n"
      // A function declaration is hoisted, as written.
      "await 1; var h = g(); function g() { return 7 }\n"
      "'hoisted=' + h + ',' + g()\n"
      // A thenable the entry makes is its value, not awaited (its `then` never runs).
      "let called = false; await 1; ({then() { called = true; }, tag: 'thenable'})\n"
      "'called=' + called\n"
      // `await (x)` and await inside an expression are awaits, not calls of a global `await`.
      "globalThis.await = () => 'a call'; 'paren=' + await (Promise.resolve(3))\n"
      "String(await Promise.resolve('inside'))\n");
  CHECK(run.exit_status == 0);
  CHECK(run.out.find("\nb=5\nok") != std::string::npos);
  CHECK(run.out.find("\nhoisted=7,7\nok") != std::string::npos);
  CHECK(run.out.find("tag: 'thenable'") != std::string::npos);
  CHECK(run.out.find("\ncalled=false\nok") != std::string::npos);
  CHECK(run.out.find("\nparen=3\nok") != std::string::npos);
  CHECK(run.out.find("\ninside\nok") != std::string::npos);
}

TEST_CASE_FIXTURE(Session, "top-level await: errors keep the entry's lines, and await in a plain function stays an error") {
  ProcessResult run = piped(".editor\nawait 1;\nthrow new Error('second line')\n");
  // Under ASan and heavy load this once ended with a crashed worker (exit 4), not again in
  // 15 tries: the message keeps what the REPL said, for the next time.
  CHECK_MESSAGE(run.exit_status == 1, (run.out + run.err));
  CHECK(run.out.find("repl:1:2:7: Uncaught (in promise) Error: second line") != std::string::npos);
  ProcessResult plain = piped("function f() { await 1 }\n");
  CHECK_MESSAGE(plain.exit_status == 1, (plain.out + plain.err));
  CHECK(plain.out.find("repl:1:1:16: Uncaught SyntaxError: await is only valid in async "
                       "functions") != std::string::npos);
  // Never past the deadline: the rewrite runs within the entry's.
  ProcessResult slow = piped("await new Promise(() => { for (;;) {} })\n1 + 1\n");
  CHECK(slow.exit_status == 124);
  CHECK(slow.out.find("\n2\nok") != std::string::npos);
}

TEST_CASE_FIXTURE(Session, "errors name the entry: repl:<entry>:<line>:<column>") {
  ProcessResult run = piped("1\nconst f = () => {\n  missing();\n}\nf()\n");
  CHECK(run.exit_status == 1);
  // The third entry, its first line; the function was defined at line 2 of the second.
  CHECK(run.out.find("repl:3:1:1: Uncaught ReferenceError: missing is not defined") ==
        std::string::npos);
  CHECK(run.out.find("repl:2:2:3: Uncaught ReferenceError: missing is not defined") !=
        std::string::npos);
  CHECK(run.out.find("at f (repl:2:2:3)") != std::string::npos);
  CHECK(run.out.find("at repl:3:1:1") != std::string::npos);
}

TEST_CASE_FIXTURE(Session, ".save writes the typed entries, and .load runs them again") {
  const fs::path saved = root / "session.js";
  ProcessResult run = piped("let total = 1\ntotal += 41\n.save " + saved.string() + "\n");
  CHECK(run.exit_status == 0);
  CHECK(run.out.find("2 entries saved to " + saved.string()) != std::string::npos);
  CHECK(read_all(saved) == "let total = 1\ntotal += 41\n");
  ProcessResult again = piped(".load " + saved.string() + "\ntotal\n");
  CHECK(again.out.find("\n42\nok") != std::string::npos);
  ProcessResult nowhere = piped(".save " + (root / "no" / "such" / "x.js").string() + "\n");
  CHECK(nowhere.out.find("cannot write it: No such file or directory") != std::string::npos);
}

TEST_CASE_FIXTURE(Session, ".input sets `input` for the entries that follow") {
  const std::string data = temp_file("data.json", R"({"n": 41})");
  const std::string broken = temp_file("broken.json", "{\"n\": 41,}");
  ProcessResult run = piped("typeof input\n.input " + data + "\ninput.n + 1\n.input " + broken +
                            "\ninput.n\n.input none\n");
  CHECK(run.exit_status == 0);
  CHECK(run.out.find("undefined\nok") != std::string::npos);
  CHECK(run.out.find("\n42\nok") != std::string::npos);
  // A file that is not JSON is refused, in krepis's words, and the last input stays.
  CHECK(run.out.find(broken + ": not valid JSON") != std::string::npos);
  CHECK(run.out.find("\n41\nok") != std::string::npos);
}

}  // namespace
}  // namespace krepis::test

// Host ops on the real V8: what each tier sees, each op's normal use, every escape attempt
// from the tenant's folder, argument validation, quotas, and the deadline inside ops.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/base/grants.h"
#include "core/ops/registry.h"
#include "core/runtime/sandbox.h"
#include "unit/ok_result.h"
#include "unit/scratch_folder.h"
#include "unit/test_engine.h"

namespace krepis {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

using test::slurp;

// scratch/acme is the tenant's folder; scratch/secret.txt and scratch/other/ (another
// tenant's folder) are outside it.
struct OpsFixture {
  test::ScratchFolder folder{"krepis-ops"};
  fs::path scratch = folder.path;
  fs::path root;
  Watchdog watchdog;
  std::unique_ptr<Sandbox> sandbox;

  OpsFixture() {
    root = scratch / "acme";
    fs::create_directories(root / "sub");
    fs::create_directories(scratch / "other");
    std::ofstream(root / "a.txt") << "alpha";
    std::ofstream(root / "latin1.bin") << "caf\xe9";
    std::ofstream(scratch / "secret.txt") << "secret";
    std::ofstream(scratch / "other" / "x.txt") << "other tenant";
    fs::create_symlink("../secret.txt", root / "out");
    fs::create_symlink("/proc/self/environ", root / "environ");
    ::mkfifo((root / "fifo").c_str(), 0600);
    use({"fs.read", "fs.write", "env"});
  }
  ~OpsFixture() { sandbox.reset(); }

  void use(std::vector<std::string> ops, std::size_t heap_mb = 64,
           std::size_t read_quota = 32 * kMiB, std::size_t write_quota = 32 * kMiB) {
    OpGrants grants{"acme",     "pro",      std::move(ops), root, {{"REGION", "eu"}},
                    read_quota, write_quota};
    sandbox.reset();
    sandbox = std::make_unique<Sandbox>(test::engine(), watchdog,
                                        SandboxConfig{heap_mb * kMiB, 50, std::move(grants)});
  }

  RunReport run(const std::string& code, milliseconds deadline = milliseconds(2000)) {
    if (!sandbox->reusable()) use({"fs.read", "fs.write", "env"});
    return sandbox->run(Job{"acme", "ops.js", code, std::nullopt, deadline});
  }

  // The run's result JSON (ok_result: a run that did not succeed fails the test).
  std::string result(const std::string& code) { return test::ok_result(run(code), code); }

  // The `code` of the error an op call throws, or "none".
  std::string code_of(const std::string& call) {
    return result("try { " + call + "; 'none' } catch (e) { e.code ?? e.name }");
  }
};

TEST_CASE("every grant name the manifest accepts has an op family") {
  for (const std::string& grant : known_grants()) {
    CAPTURE(grant);
    CHECK(has_op_family(grant));
  }
  CHECK_FALSE(has_op_family("net"));
}

TEST_CASE_FIXTURE(OpsFixture, "each tier sees exactly the ops it grants, and nothing else") {
  const std::string shape =
      "({krepis: Object.keys(krepis).sort(), fs: typeof krepis.fs === 'object' ? "
      "Object.keys(krepis.fs).sort() : typeof krepis.fs, env: typeof krepis.env === 'object' ? "
      "Object.keys(krepis.env) : typeof krepis.env})";
  use({});
  CHECK(result(shape) == R"({"krepis":["stats","tenant"],"fs":"undefined","env":"undefined"})");
  CHECK(result("'fs' in krepis || 'env' in krepis") == "false");
  use({"fs.read"});
  CHECK(
      result(shape) ==
      R"({"krepis":["fs","stats","tenant"],"fs":["list","readBytes","readText","stat"],"env":"undefined"})");
  use({"fs.write"});
  CHECK(
      result(shape) ==
      R"({"krepis":["fs","stats","tenant"],"fs":["mkdir","remove","writeBytes","writeText"],"env":"undefined"})");
  use({"env"});
  CHECK(result(shape) == R"({"krepis":["env","stats","tenant"],"fs":"undefined","env":["get"]})");
  use({"fs.read", "fs.write", "env"});
  CHECK(result("Object.keys(krepis.fs).length") == "8");
}

TEST_CASE_FIXTURE(OpsFixture, "krepis.tenant says who runs, and cannot be changed") {
  CHECK(result("[krepis.tenant.id, krepis.tenant.tier]") == R"(["acme","pro"])");
  CHECK(result("krepis.tenant.id = 'root'; delete krepis.tenant.tier; krepis.tenant = {}; "
               "[krepis.tenant.id, krepis.tenant.tier]") == R"(["acme","pro"])");
  CHECK(code_of("(() => { 'use strict'; krepis.tenant.id = 'root'; })()") == R"("TypeError")");
}

TEST_CASE_FIXTURE(OpsFixture, "krepis.stats reports the run's heap and time") {
  CHECK(result("const s = krepis.stats(); [s.heapCapBytes, s.deadlineMs, s.heapUsedBytes > 0, "
               "s.elapsedMs >= 0, s.remainingMs <= s.deadlineMs, typeof s.externalBytes]") ==
        R"([67108864,2000,true,true,true,"number"])");
  CHECK(result("const b = new ArrayBuffer(1 << 20); krepis.stats().externalBytes >= (1 << 20)") ==
        "true");
}

TEST_CASE_FIXTURE(OpsFixture, "fs ops read and write within the folder") {
  CHECK(result("krepis.fs.readText('a.txt')") == R"("alpha")");
  CHECK(result("krepis.fs.writeText('sub/b.txt', 'héllo'); krepis.fs.readText('sub/b.txt')") ==
        R"("héllo")");
  CHECK(slurp(root / "sub" / "b.txt") == "héllo");
  CHECK(result("krepis.fs.writeBytes('bytes.bin', new Uint8Array([0, 255, 7])); "
               "Array.from(krepis.fs.readBytes('bytes.bin'))") == "[0,255,7]");
  CHECK(result("krepis.fs.writeBytes('view.bin', new Uint16Array([1, 2]).subarray(1)); "
               "krepis.fs.readBytes('view.bin').length") == "2");
  CHECK(result("krepis.fs.readBytes('latin1.bin') instanceof Uint8Array") == "true");
  CHECK(result("krepis.fs.mkdir('x/y/z'); krepis.fs.writeText('x/y/z/f', '1'); "
               "krepis.fs.list('x/y/z')") == R"([{"name":"f","type":"file"}])");
  CHECK(result("const s = krepis.fs.stat('a.txt'); [s.type, s.size, s.mtimeMs > 0]") ==
        R"(["file",5,true])");
  CHECK(result("krepis.fs.remove('x/y/z/f'); krepis.fs.remove('x/y/z'); krepis.fs.list('x/y')") ==
        "[]");
  CHECK(result("krepis.fs.list().map(e => e.name).includes('a.txt')") == "true");
  CHECK(result("krepis.env.get('REGION')") == R"("eu")");
}

TEST_CASE_FIXTURE(OpsFixture, "no path leads outside the tenant's folder") {
  CHECK(code_of("krepis.fs.readText('../secret.txt')") == R"("EACCES")");
  CHECK(code_of("krepis.fs.readText('sub/../../secret.txt')") == R"("EACCES")");
  CHECK(code_of("krepis.fs.readText('/etc/passwd')") == R"("EACCES")");
  CHECK(code_of("krepis.fs.readText('out')") == R"("EACCES")");  // symlink inside, pointing out
  CHECK(code_of("krepis.fs.readText('environ')") == R"("EACCES")");
  CHECK(code_of("krepis.fs.readText('/proc/self/environ')") == R"("EACCES")");
  CHECK(code_of("krepis.fs.readText('../other/x.txt')") == R"("EACCES")");  // another tenant
  CHECK(code_of("krepis.fs.writeText('../other/x.txt', 'owned')") == R"("EACCES")");
  CHECK(slurp(scratch / "other" / "x.txt") == "other tenant");
  CHECK(code_of("krepis.fs.remove('../secret.txt')") == R"("EACCES")");
  CHECK(fs::exists(scratch / "secret.txt"));
  CHECK(code_of("krepis.fs.list('..')") == R"("EACCES")");
  CHECK(code_of("krepis.fs.readText('a.txt\\0.png')") == R"("EINVAL")");
  CHECK(code_of("krepis.fs.readText('a'.repeat(5000))") == R"("ENAMETOOLONG")");
  CHECK(code_of("krepis.fs.readText('fifo')") == R"("EACCES")");
  CHECK(code_of("krepis.fs.readText('sub')") == R"("EISDIR")");
  CHECK(code_of("krepis.fs.readText('nope')") == R"("ENOENT")");
  CHECK(code_of("krepis.fs.readText('latin1.bin')") == R"("EILSEQ")");
  // A lone surrogate names no file: refused, not turned into U+FFFD.
  CHECK(code_of("krepis.fs.readText('a\\ud800.txt')") == R"("EILSEQ")");
  CHECK(code_of("krepis.fs.writeText('\\udc00', 'x')") == R"("EILSEQ")");
  CHECK(code_of("krepis.fs.stat('x\\ud800')") == R"("EILSEQ")");
  CHECK(code_of("krepis.fs.readText('\\ud83d\\ude00.txt')") == R"("ENOENT")");  // a pair is fine
  // A path that ends with '/' names a folder: no file called 'newfile' appears.
  CHECK(code_of("krepis.fs.writeText('newfile/', 'x')") == R"("EISDIR")");
  CHECK(code_of("krepis.fs.writeBytes('newfile/', new Uint8Array(1))") == R"("EISDIR")");
  CHECK_FALSE(fs::exists(root / "newfile"));
  // The error names the op, the code and the path.
  CHECK(
      result("try { krepis.fs.readText('../secret.txt') } catch (e) { [e.message, e.path] }") ==
      R"(["krepis.fs.readText: EACCES: '../secret.txt' leads outside the tenant's folder","../secret.txt"])");
  // The host's environment is not the tenant's.
  CHECK(result("[krepis.env.get('HOME'), krepis.env.get('PATH')]") == "[null,null]");
}

TEST_CASE_FIXTURE(OpsFixture, "arguments are checked without running the script's code") {
  CHECK(result("try { krepis.fs.readText(42) } catch (e) { [e.name, e.message] }") ==
        R"(["TypeError","krepis.fs.readText: path must be a string, got a number"])");
  // A throwing or looping toString is never called.
  CHECK(code_of("krepis.fs.readText({toString() { throw new Error('ran') }})") == R"("TypeError")");
  CHECK(code_of("krepis.fs.readText({toString() { for (;;) {} }})") == R"("TypeError")");
  CHECK(code_of("krepis.fs.writeText('f', {get length() { throw 1 }})") == R"("TypeError")");
  CHECK(code_of("krepis.fs.writeBytes('f', [1, 2])") == R"("TypeError")");
  CHECK(code_of("krepis.env.get(Symbol('x'))") == R"("TypeError")");
  CHECK(code_of("krepis.fs.readText()") == R"("TypeError")");
  CHECK(code_of("new krepis.fs.readText('a.txt')") == R"("TypeError")");
}

TEST_CASE_FIXTURE(OpsFixture, "per-run quotas bound reads and writes") {
  use({"fs.read", "fs.write"}, 64, 8, 8);
  CHECK(result("krepis.fs.readText('a.txt')") == R"("alpha")");  // 5 of 8 bytes
  CHECK(code_of("krepis.fs.readText('a.txt'); krepis.fs.readText('a.txt')") == R"("EDQUOT")");
  CHECK(result("krepis.fs.writeText('w', '12345678'); 'ok'") == R"("ok")");
  // The run used all 8 bytes; the next run has its own 8.
  CHECK(code_of("krepis.fs.writeText('w', '12345678'); krepis.fs.writeText('w', '1')") ==
        R"("EDQUOT")");
  CHECK(code_of("krepis.fs.writeText('w', '123456789')") == R"("EDQUOT")");
  CHECK(code_of("krepis.fs.writeBytes('w', new Uint8Array(9))") == R"("EDQUOT")");
  CHECK(slurp(root / "w") == "12345678");
}

TEST_CASE_FIXTURE(OpsFixture, "ops count toward the deadline and the heap cap") {
  RunReport looping = run("for (;;) krepis.fs.readText('a.txt')", milliseconds(50));
  CHECK(looping.status == RunStatus::kTimeout);
  std::ofstream(root / "big.bin") << std::string(24 * kMiB, 'x');
  use({"fs.read"}, 16);
  RunReport big = run("krepis.fs.readBytes('big.bin').length");
  CHECK(big.status == RunStatus::kOom);
  RunReport big_text = run("krepis.fs.readText('big.bin').length");
  CHECK(big_text.status == RunStatus::kOom);
}

TEST_CASE_FIXTURE(OpsFixture, "a loop of op calls ends at its deadline, not long after") {
  // A loop of op calls gives V8 no place of its own to notice termination (optimized code
  // drops the loop's check when the loop calls a function): such a loop ran 60-680 ms past a
  // 50 ms deadline. Each op now makes the termination land. The deadline is what is tested;
  // the bound leaves 40 ms for a loaded machine to schedule the run's thread late.
  for (const char* loop : {"for (;;) krepis.fs.writeText('f', 'x')",
                           "for (;;) krepis.fs.stat('a.txt')", "for (;;) krepis.stats()",
                           "for (;;) krepis.env.get('REGION')", "for (;;) console.log('x')"}) {
    CAPTURE(loop);
    RunReport report = run(loop, milliseconds(50));
    CHECK(report.status == RunStatus::kTimeout);
    CHECK(report.stopped_by == StopReason::kDeadline);
    CHECK(report.wall_ms < 90);
  }
}

TEST_CASE_FIXTURE(OpsFixture, "a write stopped by the deadline leaves the old file intact") {
  std::ofstream(root / "data.txt") << "old";
  // A write quota the loop cannot reach, so only the deadline can end it, however fast the
  // disk: with the usual quota a fast disk finished a write, hit the quota and ended `error`.
  use({"fs.write"}, 64, 32 * kMiB, std::numeric_limits<std::size_t>::max());
  RunReport report =
      run("const big = 'x'.repeat(24 * 1024 * 1024);"
          "for (;;) krepis.fs.writeText('data.txt', big)",
          milliseconds(60));
  CHECK(report.status == RunStatus::kTimeout);
  std::string content = slurp(root / "data.txt");
  CHECK((content == "old" || content == std::string(24 * kMiB, 'x')));
  for (const auto& entry : fs::directory_iterator(root)) {
    CHECK_FALSE(entry.path().filename().string().starts_with(".krepis-write-"));
  }
}

TEST_CASE_FIXTURE(OpsFixture, "console formats like printf and inspects values readably") {
  RunReport report = run(R"(
    console.log('%s is %d, %i, %f, %j, %o, 100%%', 'x', 4.5, 4.5, '2.5', {a: [1]}, [1, 'two']);
    console.log({a: 1, s: 'it\'s', nested: {deep: {deeper: {deepest: 1}}}});
    console.log([1, , 3], new Map([['k', {v: 1}]]), new Set([1]), new Uint8Array(2));
    const cyclic = {name: 'c'}; cyclic.self = cyclic; console.log(cyclic);
    console.log({get trap() { throw new Error('getter ran') }, set only(v) {}});
    console.log('%s', {toString() { for (;;) {} }});
    console.log(new Proxy({}, {get() { throw new Error('trap ran') }}));
    console.log(Object.assign(new Error('boom'), {code: 'E1'}));
    console.log(null, undefined, -0, 10n, Symbol('s'), function named() {}, () => {});
    'done'
  )");
  INFO(report.error.value_or(""));
  REQUIRE(report.status == RunStatus::kOk);
  REQUIRE(report.output.size() == 9);
  CHECK(report.output[0] == "x is 4.5, 4, 2.5, {\"a\":[1]}, [ 1, 'two' ], 100%");
  CHECK(report.output[1] == "{ a: 1, s: 'it\\'s', nested: { deep: { deeper: [Object] } } }");
  CHECK(report.output[2] ==
        "[ 1, <1 empty item>, 3 ] Map(1) { 'k' => { v: 1 } } Set(1) { 1 } "
        "Uint8Array(2) [ 0, 0 ]");
  CHECK(report.output[3] == "{ name: 'c', self: [Circular] }");
  CHECK(report.output[4] == "{ trap: [Getter], only: [Setter] }");
  CHECK(report.output[5] == "{ toString: [Function: toString] }");
  CHECK(report.output[6] == "[Proxy]");
  CHECK(report.output[7].starts_with("Error: boom\n    at ops.js:"));
  CHECK(report.output[7].ends_with("{ code: 'E1' }"));
  CHECK(report.output[8] ==
        "null undefined -0 10n Symbol(s) [Function: named] [Function (anonymous)]");
}

TEST_CASE_FIXTURE(OpsFixture, "huge console arguments cost no more than the output cap") {
  RunReport report =
      run("const s = 'x'.repeat(16 << 20);"
          "console.log('%s'.repeat(64), ...Array(64).fill(s));"
          "console.log({s}); 'done'");
  REQUIRE(report.status == RunStatus::kOk);
  REQUIRE_FALSE(report.output.empty());
  CHECK(report.output[0].size() <= 1024 * 1024 + 16);
}

TEST_CASE_FIXTURE(OpsFixture, "the whole console: table, assert, count, time, group, dir, trace") {
  RunReport report = run(R"(
    console.table([{a: 1, b: 'Y'}, {a: 'Z', b: 2}]);
    console.table({x: 1, y: {v: 2}}, ['v']);
    console.assert(1 === 2, 'math is %s', 'broken');
    console.assert(true, 'never shown');
    console.count(); console.count(); console.count('x'); console.countReset(); console.count();
    console.countReset('nope');
    console.time('t'); console.timeLog('t', 'mid', {k: 1}); console.timeEnd('t'); console.timeEnd('t');
    console.group('outer'); console.log('in 1'); console.group();
    console.log('in 2\nline 2'); console.groupEnd(); console.groupEnd(); console.groupEnd();
    console.log('out');
    console.dir({a: {b: {c: 1}}}, {depth: 0});
    function f() { console.trace('here %d', 5); } f();
    'done'
  )");
  INFO(report.error.value_or(""));
  REQUIRE(report.status == RunStatus::kOk);
  const std::vector<std::string> expected = {
      "┌─────────┬─────┬─────┐\n"
      "│ (index) │  a  │  b  │\n"
      "├─────────┼─────┼─────┤\n"
      "│    0    │  1  │ 'Y' │\n"
      "│    1    │ 'Z' │  2  │\n"
      "└─────────┴─────┴─────┘",
      "┌─────────┬───┬────────┐\n"
      "│ (index) │ v │ Values │\n"
      "├─────────┼───┼────────┤\n"
      "│    x    │   │   1    │\n"
      "│    y    │ 2 │        │\n"
      "└─────────┴───┴────────┘",
      "Assertion failed: math is broken",
      "default: 1",
      "default: 2",
      "x: 1",
      "default: 1",
      "Count for 'nope' does not exist",
      "",  // timeLog: checked below, its time varies
      "",  // timeEnd
      "Timer 't' does not exist",
      "outer",
      "  in 1",
      "    in 2\n    line 2",
      "out",
      "{ a: [Object] }",
      "",  // trace
  };
  REQUIRE(report.output.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (!expected[i].empty()) CHECK(report.output[i] == expected[i]);
  }
  // To a tenth of a millisecond, whatever the machine's speed.
  CHECK(std::regex_match(report.output[8], std::regex(R"(t: \d+\.\dms mid \{ k: 1 \})")));
  CHECK(std::regex_match(report.output[9], std::regex(R"(t: \d+\.\dms)")));
  CHECK(report.output[16].starts_with("Trace: here 5\n    at f (ops.js:"));
  CHECK(report.output_levels ==
        std::vector<std::string>{"log",  "log",  "error", "info", "info", "info",
                                 "info", "warn", "info",  "info", "warn", "log",
                                 "log",  "log",  "log",   "log",  "error"});
}

TEST_CASE_FIXTURE(OpsFixture, "console's counters, timers and groups never outlive their run") {
  RunReport first = run("console.count('c'); console.time('t'); console.group(); 'one'");
  REQUIRE(first.status == RunStatus::kOk);
  RunReport second = run("console.count('c'); console.timeEnd('t'); console.log('flush'); 'two'");
  REQUIRE(second.status == RunStatus::kOk);
  CHECK(second.output ==
        std::vector<std::string>{"c: 1", "Timer 't' does not exist", "flush"});
  // A table's keys are cut, so a long key costs its table no more than a short one.
  RunReport wide = run("const k = 'x'.repeat(1e6); console.table(Array(100).fill({[k]: 1})); 1");
  REQUIRE(wide.status == RunStatus::kOk);
  CHECK(wide.output.at(0).size() < 100 * 1024);
  // Labels are bounded: a loop of new ones stops at 10,000 and says so.
  RunReport many = run("for (let i = 0; i < 10001; ++i) console.time('l' + i); 'many'");
  REQUIRE(many.status == RunStatus::kOk);
  CHECK(many.output == std::vector<std::string>{"Too many timers (at most 10000)"});
}

TEST_CASE_FIXTURE(OpsFixture, "TextEncoder, TextDecoder, atob and btoa behave as the standards say") {
  // The expected values are node 20's for the same script (but for the fatal error's words).
  RunReport report = run(R"(
    const out = {};
    const e = new TextEncoder();
    out.enc = e.encoding;
    out.bytes = Array.from(e.encode('h\u00e9\ud83d\ude00\ud800'));
    const dst = new Uint8Array(5);
    out.into = e.encodeInto('h\u00e9\ud83d\ude00', dst);
    out.dst = Array.from(dst);
    const d = new TextDecoder();
    out.dec = d.decode(new Uint8Array([0xEF,0xBB,0xBF,0x68,0xC3,0xA9,0xF0,0x9F,0x98,0x80,0xFF]));
    const s = new TextDecoder('utf8');
    out.stream = s.decode(new Uint8Array([0xF0,0x9F]), {stream: true}) + '|' +
        s.decode(new Uint8Array([0x98,0x80])) + '|' + s.decode(new Uint8Array([0xE2, 0x82]));
    out.view = d.decode(new DataView(new Uint8Array([0x61, 0x62, 0x63]).buffer, 1, 2));
    try { new TextDecoder('utf-8', {fatal: true}).decode(new Uint8Array([0xC3])); }
    catch (err) { out.fatal = err.name; }
    out.flags = [d.fatal, d.ignoreBOM, new TextDecoder('utf-8', {ignoreBOM: true}).ignoreBOM];
    out.bom = new TextDecoder('utf-8', {ignoreBOM: true})
        .decode(new Uint8Array([0xEF,0xBB,0xBF,0x41])).length;
    out.b64 = [btoa(''), btoa('f'), btoa('fo'), btoa('foo'), btoa('\u00ff\u00fe'),
               atob(' Zm9v\nYg== '), atob('Zm9vYmE')];
    try { btoa('\u0100'); } catch (err) { out.btoaErr = err.name; }
    try { atob('Zm9vY'); } catch (err) { out.atobErr = err.name; }
    out.padding = ['ab=', 'abcdef=', 'ab=c'].map((s) => { try { return atob(s); } catch (e) { return e.name; } });
    out.enumerable = ['atob', 'TextEncoder'].map((k) => Object.keys(globalThis).includes(k));
    out
  )");
  INFO(report.error.value_or(""));
  REQUIRE(report.status == RunStatus::kOk);
  CHECK(nlohmann::json::parse(report.result_json.value_or("null")) == nlohmann::json::parse(R"j({
    "enc": "utf-8", "bytes": [104, 195, 169, 240, 159, 152, 128, 239, 191, 189],
    "into": {"read": 2, "written": 3}, "dst": [104, 195, 169, 0, 0],
    "dec": "h\u00e9\ud83d\ude00\ufffd", "stream": "|\ud83d\ude00|\ufffd", "view": "bc",
    "fatal": "TypeError", "flags": [false, false, true], "bom": 2,
    "b64": ["", "Zg==", "Zm8=", "Zm9v", "//4=", "foob", "fooba"],
    "btoaErr": "InvalidCharacterError", "atobErr": "InvalidCharacterError",
    "padding": ["InvalidCharacterError", "InvalidCharacterError", "InvalidCharacterError"],
    "enumerable": [true, false]})j"));
  // Only UTF-8; a decoder is no plain object's method.
  CHECK(run("new TextDecoder('latin1')").error.value_or("").find("RangeError") != std::string::npos);
  CHECK(run("TextDecoder.prototype.decode.call({}, new Uint8Array(1))").error.value_or("").find(
            "not a TextDecoder") != std::string::npos);
  // Bytes an encoder makes count toward the heap cap: past it, the run ends oom, not the process.
  RunReport big = run("const s = 'x'.repeat(40 << 20); new TextEncoder().encode(s).length");
  CHECK(big.status == RunStatus::kOom);
}

TEST_CASE_FIXTURE(OpsFixture, "structuredClone copies deeply through V8's serializer, queueMicrotask queues") {
  RunReport report = run(R"(
    const out = {};
    const o = {m: new Map([[1, {d: new Date(0)}]]), s: new Set(['a']), r: /x/gi,
               t: new Uint16Array([1, 2]), big: 10n, n: NaN};
    o.self = o;
    const c = structuredClone(o);
    out.same = c !== o && c.self === c && c.m.get(1).d instanceof Date && c.m !== o.m;
    out.types = [c.m instanceof Map, c.s.has('a'), c.r.flags, Array.from(c.t), c.big === 10n,
                 Number.isNaN(c.n)];
    for (const bad of [() => 1, Symbol('s')]) {
      try { structuredClone(bad); } catch (e) { (out.errors ??= []).push(e.name); }
    }
    try { structuredClone(); } catch (e) { out.none = e.name; }
    out.err = structuredClone(new RangeError('r')) instanceof RangeError;
    const order = [];
    queueMicrotask(() => order.push('micro'));
    order.push('sync');
    try { queueMicrotask(1); } catch (e) { out.qm = e.name; }
    Promise.resolve().then(() => { out.order = order.slice(); }).then(() => out);
  )");
  INFO(report.error.value_or(""));
  REQUIRE(report.status == RunStatus::kOk);
  CHECK(nlohmann::json::parse(report.result_json.value_or("null")) == nlohmann::json::parse(R"j({
    "same": true, "types": [true, true, "gi", [1, 2], true, true],
    "errors": ["DataCloneError", "DataCloneError"], "none": "TypeError", "err": true,
    "qm": "TypeError", "order": ["sync", "micro"]})j"));
  // A throw in a queued callback fails the run, as an unhandled rejection does.
  RunReport thrown = run("queueMicrotask(() => { throw new Error('in task') }); 1");
  CHECK(thrown.status == RunStatus::kError);
  CHECK(thrown.error.value_or("").find("Uncaught (in promise) Error: in task") != std::string::npos);
  // The serializer's buffer, outside the heap, counts toward the cap: a clone that cannot
  // fit is a DataCloneError, not memory the cap does not see.
  RunReport huge = run(R"(
    const big = 'x'.repeat(20 << 20);
    try { structuredClone([big, big, big]); 'cloned' } catch (e) { e.name + ': ' + e.message }
  )");
  CHECK(huge.result_json.value_or("").starts_with("\"DataCloneError"));
}

TEST_CASE_FIXTURE(OpsFixture, "performance.now counts from the run's start, to a tenth of a ms") {
  RunReport report = run(R"(
    const a = performance.now(), b = performance.now();
    const tenths = (x) => Math.abs(x * 10 - Math.round(x * 10)) < 1e-6;
    [a >= 0, b >= a, tenths(a), tenths(b), tenths(performance.timeOrigin),
     Math.abs(performance.timeOrigin + a - Date.now()) < 60000]
  )");
  INFO(report.error.value_or(""));
  CHECK(report.result_json == std::optional<std::string>("[true,true,true,true,true,true]"));
}

TEST_CASE_FIXTURE(OpsFixture, "nested promises stop at the depth, as other objects do") {
  // Found by tests/fuzz/inspect: promises ignored the depth, and each level indented all the
  // levels inside it, so 3,000 of them made text of quadratic size outside the heap cap.
  RunReport report = run(R"(
    let p = Promise.reject(0);
    for (let i = 0; i < 3000; ++i) { p.catch(() => {}); p = Promise.reject(p); }
    p.catch(() => {});
    console.log(p); 'done'
  )");
  INFO(report.error.value_or(""));
  REQUIRE(report.status == RunStatus::kOk);
  REQUIRE(report.output.size() == 1);
  CHECK(report.output[0] ==
        "Promise {\n  <rejected> Promise { <rejected> Promise { <rejected> [Promise] } }\n}");
}

TEST_CASE_FIXTURE(OpsFixture, "a looping toJSON in console's %j is stopped by the deadline") {
  RunReport report = run("console.log('%j', {toJSON() { for (;;) {} }})", milliseconds(50));
  CHECK(report.status == RunStatus::kTimeout);
}

}  // namespace
}  // namespace krepis

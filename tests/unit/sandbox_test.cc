// The sandbox on the real V8: each case runs JavaScript and pins what the report says.
#include "core/runtime/sandbox.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "core/base/limits.h"
#include "unit/test_engine.h"

namespace krepis {
namespace {

using std::chrono::milliseconds;

struct Fixture {
  Watchdog watchdog;
  std::unique_ptr<Sandbox> sandbox = make_sandbox();
  bool replaced = false;

  std::unique_ptr<Sandbox> make_sandbox() {
    return std::make_unique<Sandbox>(test::engine(), watchdog, SandboxConfig{64 * kMiB, 50, {}});
  }
  // Runs code in the fixture's sandbox, first replacing it if the previous run left it
  // unusable, as every caller of a sandbox must.
  // The default deadline is far from any work here; the tests of the deadline pass their own.
  RunReport run(const std::string& code, milliseconds deadline = milliseconds(30'000),
                std::optional<std::string> input = std::nullopt) {
    replaced = !sandbox->reusable();
    if (replaced) sandbox = make_sandbox();
    return sandbox->run(Job{"t", "test.js", code, std::move(input), deadline});
  }

  // Runs code and checks its status and, when given, its result JSON.
  RunReport expect_run(const std::string& code, RunStatus status,
                       std::optional<std::string> result = std::nullopt) {
    RunReport report = run(code);
    INFO("code: " << code << "\nerror: " << report.error.value_or(""));
    CHECK(to_string(report.status) == to_string(status));
    if (result) CHECK(report.result_json.value_or("<none>") == *result);
    return report;
  }
};

TEST_CASE_FIXTURE(Fixture, "completion values come back as JSON") {
  expect_run("1 + 1", RunStatus::kOk, "2");
  expect_run("({a: [1, 'x', null]})", RunStatus::kOk, R"({"a":[1,"x",null]})");
  expect_run("undefined", RunStatus::kOk, "null");
  expect_run("", RunStatus::kOk, "null");
  expect_run("(function f() {})", RunStatus::kOk, R"j("[Function: f]")j");
  expect_run("({toJSON() { return undefined; }})", RunStatus::kOk, "null");
}

TEST_CASE_FIXTURE(Fixture, "a result JSON cannot carry is carried by defined rules, and its kind named") {
  // JSON.stringify alone gives {} for a Map, Set, RegExp or Error, drops functions and
  // symbols, writes null for NaN and refuses BigInts: each is carried instead, at the top
  // and inside, and result_type names the top-level kind.
  struct Case {
    const char* code;
    const char* type;
    const char* json;
  };
  const Case cases[] = {
      {"undefined", "undefined", "null"},
      {"null", "null", "null"},
      {"true", "boolean", "true"},
      {"NaN", "number", R"j("NaN")j"},
      {"'s'", "string", R"j("s")j"},
      {"2n ** 70n", "bigint", R"j("1180591620717411303424")j"},
      {"Symbol('s')", "symbol", R"j("Symbol(s)")j"},
      {"(() => 1)", "function", R"j("[Function (anonymous)]")j"},
      {"[1, -Infinity, undefined]", "array", R"j([1,"-Infinity",null])j"},
      {"new Map([[1, 2n], [{k: 1}, new Set(['a'])]])", "map", R"j([[1,"2"],[{"k":1},["a"]]])j"},
      {"new Set([1, 1, 2])", "set", "[1,2]"},
      {"new Int16Array([-1, 2])", "typed_array", "[-1,2]"},
      {"new BigUint64Array([7n])", "typed_array", R"j(["7"])j"},
      {"new Uint8Array([9, 8]).buffer", "array_buffer", "[9,8]"},
      {"new Date(0)", "date", R"j("1970-01-01T00:00:00.000Z")j"},
      {"/a.b/gu", "regexp", R"j("/a.b/gu")j"},
      {"new RangeError('r')", "error", R"j("RangeError: r")j"},
      {"({f() {}, s: Symbol(), u: undefined, e: new Error('x')})", "object",
       R"j({"f":"[Function: f]","s":"Symbol()","e":"Error: x"})j"},
      {"Promise.resolve(new Map())", "map", "[]"},
  };
  for (const Case& c : cases) {
    RunReport report = expect_run(c.code, RunStatus::kOk, c.json);
    CHECK(report.result_type == std::optional<std::string>(c.type));
  }
  // Replacing JSON.stringify changes nothing: the context's own, taken before the script ran,
  // serialises the result.
  expect_run("JSON.stringify = () => '1,\"status\":\"ok\"'; ({a: 1})", RunStatus::kOk,
             R"({"a":1})");
  // Found by review: a typed array too long for any result is refused before a plain array
  // of it is made (at 2^27 elements V8 would end the process making one).
  RunReport long_array = expect_run("new Uint8Array(9 << 20)", RunStatus::kError);
  CHECK(long_array.error.value_or("").find("more elements than a result may") != std::string::npos);
  // A cycle is an error that says so.
  RunReport cycle = expect_run("const o = {}; o.o = o; o", RunStatus::kError);
  CHECK(cycle.error.value_or("").starts_with("result is not JSON-serialisable"));
}

TEST_CASE_FIXTURE(Fixture, "console and krepis are made when first read, where and as they were") {
  // Lazy data properties (a run that logs nothing makes neither object): the global still
  // has them in V8's order (console where V8's own is), not enumerable, writable and
  // configurable data, and the first read makes each once.
  expect_run(R"(
    const names = Object.getOwnPropertyNames(globalThis);
    const shape = (k) => {
      const p = Object.getOwnPropertyDescriptor(globalThis, k);
      return [typeof p.value, p.writable, p.enumerable, p.configurable];
    };
    [names.indexOf('console') === names.indexOf('isNaN') + 1,
     names.indexOf('krepis') === names.indexOf('WebAssembly') + 1,
     shape('console'), shape('krepis'), console === globalThis.console,
     krepis === globalThis.krepis, typeof console.log, krepis.tenant.id,
     Object.keys(globalThis).includes('console'), (console = 5, console)]
  )",
             RunStatus::kOk,
             R"([true,true,["object",true,false,true],["object",true,false,true],true,true,)"
             R"("function","default",false,5])");
  // Each run's context makes its own.
  expect_run("console.marked = 1; krepis.marked = 1", RunStatus::kOk);
  expect_run("[console.marked, krepis.marked]", RunStatus::kOk, "[null,null]");
}

TEST_CASE_FIXTURE(Fixture, "a string result is the JSON that JSON.stringify writes of it") {
  // A one-byte string is escaped by krepis, sixteen bytes at a time, four kilobytes at a time
  // (result_json.h): each string here is returned as itself and as JSON.stringify's text of
  // it, which must agree byte for byte. Every one-byte character, each at every offset in a
  // block and across the chunks' edges, runs of nothing but escapes (the buffer grows six
  // times over), JSON text (a quote in every few characters), a random mix, and lengths
  // around the block.
  const std::string strings[] = {
      "Array.from({length: 256}, (_, i) => String.fromCharCode(i)).join('')",
      "Array.from({length: 256}, (_, i) => 'abcdefghijklmno'.slice(i % 16) +"
      " String.fromCharCode(i)).join('')",
      "JSON.stringify(Array.from({length: 300}, (_, i) => ({i, name: 'item' + i, odd: i % 2})))",
      // Plain characters and each kind of escape, mixed at random (a fixed seed).
      "(() => { let x = 1; return Array.from({length: 20000}, () => {"
      " x = (Math.imul(x, 1103515245) + 12345) >>> 0; const c = x >>> 16;"
      " return String.fromCharCode(c % 3 ? 97 + c % 26 : [34, 92, 10, 1, 233, 255][c % 6]);"
      " }).join(''); })()",
      "[4087, 4094, 4095, 4096, 4097, 8191].reduce((s, at) => s.slice(0, at) + '\"' +"
      " s.slice(at + 1), 'x'.repeat(9000))",
      "'\"'.repeat(5000) + '\\\\'.repeat(3000)",
      "'\\u0001'.repeat(20000) + '\\u00ff\\n'",
      "Array.from({length: 20}, (_, n) => 'é\\u001f\"a'.repeat(n).slice(0, n)).join('|')",
      "''",
      "'plain ASCII, nothing to escape, longer than one word of eight'",
      "'fifteen chars.\\\\'", "'sixteen chars..\\\\'", "'seventeen chars.\\\\'",
      // Two-byte strings go the general way: a lone surrogate is escaped, not replaced.
      "'\\ud800 and \\u20ac'",
  };
  for (const std::string& string : strings) {
    INFO("string: " << string);
    RunReport as_itself = expect_run(string, RunStatus::kOk);
    // In an array, the text goes V8's own way to the report.
    RunReport as_text = expect_run("[JSON.stringify(" + string + ")]", RunStatus::kOk);
    REQUIRE(as_text.result_json);
    CHECK(as_itself.result_json.value_or("<none>") ==
          nlohmann::json::parse(*as_text.result_json).at(0).get<std::string>());
    CHECK(as_itself.result_type == std::optional<std::string>("string"));
  }
  // The JSON of a string is held to the result's limit, escapes counted. Escapes six times
  // the string's size: the escaping stops soon after the limit and counts the rest (found by
  // review: V8's JSON.stringify, which did it before, built the whole text in the heap and
  // could outgrow the cap inside the builtin). A two-byte string past the limit is counted
  // too, never built in the heap (found by review: a 16M-character one made JSON.stringify
  // outgrow a 128 MiB cap): UTF-8 of three bytes, a pair of surrogates four, a lone one
  // \udxxx.
  struct Over {
    const char* code;
    const char* bytes;
  };
  const Over over_the_limit[] = {
      {"'\"'.repeat(9_000_000)", "18000002"},
      {"'\\u0001'.repeat(3_000_000)", "18000002"},
      {"'\\u0001'.repeat(16_777_216)", "100663298"},
      {"'\\u0001'.repeat(4_000_000) + '\\u20ac'", "24000005"},
      {"'\\u0001'.repeat(2_796_202) + '\\ud83d\\ude00' + '\\ud800'", "16777224"},
      {"'\\udc00\\ud800x' + '\\u0001'.repeat(2_796_202)", "16777227"},
  };
  for (const Over& over : over_the_limit) {
    CAPTURE(over.code);
    RunReport refused = expect_run(over.code, RunStatus::kError);
    CHECK(refused.error.value_or("") ==
          fmt::format("result is {} bytes of JSON, over the limit of 16777216 bytes", over.bytes));
    // Counted, not built: the heap holds the string (at most 17 MB here), not its JSON.
    CHECK(refused.heap_peak_bytes < 40 * kMiB);
  }
  // A string longer than the limit is refused by its length, one-byte or not.
  for (const char* longer : {"'x'.repeat(17_000_000)", "'\\u20ac'.repeat(17_000_000)"}) {
    RunReport refused = expect_run(longer, RunStatus::kError);
    CHECK(refused.error.value_or("") ==
          "result is a string of 17000000 characters, over the limit of 16777216 bytes of JSON");
  }
}

TEST_CASE_FIXTURE(Fixture, "a run's garbage past the leak margin is collected before the next run, which gets its whole cap") {
  // 64 MiB cap: the leak margin is 4 MiB. ~25 MiB of objects, garbage once the run is over:
  // collected before the next run, whose figures then show a fresh heap; nothing retires.
  CHECK(sandbox->leak_margin_bytes() == 4 * kMiB);
  RunReport big = expect_run(
      "const a = []; for (let i = 0; i < 400000; i++) a.push({i, s: 'x' + i}); a.length",
      RunStatus::kOk, "400000");
  CHECK(big.heap_peak_bytes > 16 * kMiB);
  CHECK(sandbox->retained_bytes() == 0);
  RunReport next = expect_run("1", RunStatus::kOk, "1");
  CHECK(next.warm);
  CHECK(next.heap_used_bytes < 4 * kMiB);
  // Found by review: ArrayBuffer garbage counts against the allocator's hard cap, which
  // refuses at once (no GC comes first). A run that left 7 MiB of it must not cost the next
  // one its cap: a reclaim that waited for more (an eighth of the cap, tried for the page
  // faults it saved) made this run oom.
  expect_run("const b = new ArrayBuffer(7 << 20); new Uint8Array(b).fill(1); 1", RunStatus::kOk,
             "1");
  RunReport whole = expect_run("new ArrayBuffer(56 << 20).byteLength", RunStatus::kOk,
                               std::to_string(56 << 20));
  CHECK(whole.warm);
}

TEST_CASE_FIXTURE(Fixture, "what one full GC leaves of a run is taken by a stronger one before it is called retained") {
  // The reclaim is one full GC; V8's compilation cache outlives it, holding a script and its
  // source. A 6 MiB script passes the 4 MiB margin after that GC, so the reclaim goes on to
  // LowMemoryNotification (which clears the cache) before it calls anything retained: the
  // isolate is not retired for it, and the next run finds a fresh heap.
  const std::string literal(6 << 20, 'x');
  expect_run("const s = '" + literal + "'; s.length", RunStatus::kOk, std::to_string(6 << 20));
  CHECK(sandbox->retained_bytes() == 0);
  RunReport next = expect_run("1", RunStatus::kOk, "1");
  CHECK(next.warm);
  CHECK(next.heap_used_bytes < 4 * kMiB);
}

TEST_CASE_FIXTURE(Fixture, "a promise is awaited, its microtasks drained under the deadline") {
  expect_run("Promise.resolve(41).then(x => x + 1)", RunStatus::kOk, "42");
  expect_run("(async () => { await null; await null; return 'done'; })()", RunStatus::kOk,
             R"("done")");
}

TEST_CASE_FIXTURE(Fixture, "exceptions and syntax errors end as error with script:line:column") {
  RunReport thrown = expect_run("let x = 1;\n  null.f();", RunStatus::kError);
  CHECK(thrown.error.value_or("").starts_with("test.js:2:8: Uncaught TypeError"));
  CHECK_FALSE(thrown.result_json.has_value());
  RunReport syntax = expect_run("let = ;", RunStatus::kError);
  CHECK(syntax.error.value_or("").starts_with("test.js:1:"));
  CHECK(syntax.error.value_or("").find("SyntaxError") != std::string::npos);
  RunReport rejected = expect_run("Promise.reject(new RangeError('nope'))", RunStatus::kError);
  CHECK(rejected.error.value_or("").find("Uncaught (in promise) RangeError: nope") !=
        std::string::npos);
  RunReport lost = expect_run("Promise.reject(new Error('lost')); 1", RunStatus::kError);
  CHECK(lost.error.value_or("").find("(in promise) Error: lost") != std::string::npos);
  expect_run("Promise.reject(new Error('handled')).catch(() => {}); 1", RunStatus::kOk, "1");
  RunReport cyclic = expect_run("const a = {}; a.a = a; a", RunStatus::kError);
  CHECK(cyclic.error.value_or("").starts_with("result is not JSON-serialisable"));
}

TEST_CASE_FIXTURE(Fixture, "an interrupt stops the run it is meant for, never a later one") {
  sandbox->interrupt();  // before the run begins (a REPL's Ctrl-C right after Enter)
  RunReport early = run("for (;;) {}", milliseconds(5000));
  CHECK(early.status == RunStatus::kError);
  CHECK(early.error == "interrupted (Ctrl-C)");
  CHECK(run("1").status == RunStatus::kOk);  // nothing of it is left
  sandbox->interrupt();
  sandbox->clear_interrupt();  // it came too late for its run
  CHECK(run("2").status == RunStatus::kOk);
}

TEST_CASE_FIXTURE(Fixture, "console output is captured per run") {
  RunReport report = expect_run(
      "console.log('a', 1, {b: 2}); console.error('e'); console.warn([1]); 7", RunStatus::kOk, "7");
  REQUIRE(report.output.size() == 3);
  CHECK(report.output[0] == "a 1 { b: 2 }");
  CHECK(report.output[1] == "e");
  CHECK(report.output[2] == "[ 1 ]");
  CHECK(run("1").output.empty());
}

TEST_CASE_FIXTURE(Fixture, "a console flood is capped and marked, and the run still ends") {
  RunReport report =
      expect_run("for (let i = 0; i < 20000; i++) console.log(i); 'ok'", RunStatus::kOk);
  REQUIRE(report.output.size() == 10'001);
  CHECK(report.output.back().find("truncated") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "input is exposed as a global in each run") {
  RunReport report = run("input.n * 2", milliseconds(200), R"({"n": 21})");
  CHECK(report.result_json.value_or("") == "42");
  CHECK(run("typeof input").result_json.value_or("") == R"("undefined")");
}

TEST_CASE_FIXTURE(Fixture, "every run gets a fresh context in the same warm isolate") {
  RunReport first = expect_run(
      "globalThis.leak = 1; Object.prototype.polluted = true; Array.prototype.push = null;"
      "new Promise(() => {}); Promise.resolve().then(() => { globalThis.late = 1 }); 1",
      RunStatus::kOk);
  CHECK_FALSE(first.warm);
  RunReport second = expect_run("[typeof leak, ({}).polluted, typeof [].push, typeof late].join()",
                                RunStatus::kOk, R"("undefined,,function,undefined")");
  CHECK(second.warm);
}

TEST_CASE_FIXTURE(Fixture, "FinalizationRegistry is absent and Atomics.wait is refused") {
  expect_run("typeof FinalizationRegistry", RunStatus::kOk, R"("undefined")");
  RunReport wait = expect_run("Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)",
                              RunStatus::kError);
  CHECK(wait.error.value_or("").find("TypeError") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "the deadline stops every kind of runaway, and the isolate recovers") {
  const char* runaways[] = {
      "while (true) {}",
      "try { while (true) {} } finally { while (true) {} }",
      "(function f() { Promise.resolve().then(f); })()",
      "(async () => { for (;;) await null; })()",
      "for (;;) { try { while (true) {} } catch (e) {} }",
  };
  for (const char* code : runaways) {
    RunReport report = run(code, milliseconds(50));
    INFO(code);
    CHECK(report.status == RunStatus::kTimeout);
    CHECK(report.stopped_by == StopReason::kDeadline);
    CHECK(sandbox->reusable());
    CHECK(run("'alive'").result_json.value_or("") == R"("alive")");
  }
}

TEST_CASE_FIXTURE(Fixture, "a promise that can never settle ends without waiting") {
  RunReport report = run("new Promise(() => {})", milliseconds(60'000));
  CHECK(report.status == RunStatus::kTimeout);
  CHECK(report.stopped_by == StopReason::kUnsettled);
  CHECK(report.wall_ms < 30'000);  // a safety bound: it must not wait for the deadline
}

TEST_CASE_FIXTURE(Fixture, "a catastrophic regular expression ends quickly") {
  expect_run("/(a+)+b/.test('a'.repeat(30))", RunStatus::kOk, "false");
}

TEST_CASE_FIXTURE(Fixture, "stack overflow is an error, not a crash") {
  RunReport report = expect_run("(function f() { f(); })()", RunStatus::kError);
  CHECK(report.error.value_or("").find("RangeError: Maximum call stack size exceeded") !=
        std::string::npos);
  CHECK(sandbox->reusable());
}

TEST_CASE_FIXTURE(Fixture, "ArrayBuffer memory counts against the cap") {
  RunReport huge = run("new ArrayBuffer(2 ** 31)");
  CHECK(huge.status == RunStatus::kOom);
  CHECK(huge.stopped_by == StopReason::kAllocator);
  RunReport many = run("const keep = []; for (;;) keep.push(new ArrayBuffer(16 * 1024 * 1024))");
  CHECK(many.status == RunStatus::kOom);
  CHECK(many.external_bytes > 0);
  RunReport small = expect_run("new Uint8Array(1024).length", RunStatus::kOk, "1024");
  CHECK(small.external_bytes >= 1024);
}

TEST_CASE_FIXTURE(Fixture, "WebAssembly memory counts against the cap") {
  RunReport report = run("new WebAssembly.Memory({initial: 1600}).buffer.byteLength");  // 100 MiB
  CHECK(report.status == RunStatus::kOom);
  CHECK(report.stopped_by == StopReason::kHeapCheck);
  CHECK(report.external_bytes >= 100 * kMiB);
  RunReport small = expect_run("new WebAssembly.Memory({initial: 16}).buffer.byteLength",
                               RunStatus::kOk, "1048576");
  CHECK(small.external_bytes >= kMiB);
}

TEST_CASE_FIXTURE(Fixture, "buffers a refused run kept alive do not starve the next run") {
  RunReport refused =
      run("const keep = [new ArrayBuffer(40 * 1024 * 1024)];"
          "keep.push(new ArrayBuffer(40 * 1024 * 1024))");
  CHECK(refused.stopped_by == StopReason::kAllocator);
  CHECK(sandbox->reusable());
  expect_run("new ArrayBuffer(40 * 1024 * 1024).byteLength", RunStatus::kOk, "41943040");
}

TEST_CASE_FIXTURE(Fixture, "a heap bomb ends oom and the sandbox asks to be replaced") {
  RunReport report =
      run("const a = []; for (;;) a.push({x: Math.random(), s: 'k' + Math.random()})",
          milliseconds(60'000));
  CHECK(report.status == RunStatus::kOom);
  CHECK(report.stopped_by == StopReason::kNearHeapLimit);
  CHECK_FALSE(sandbox->reusable());
}

TEST_CASE_FIXTURE(Fixture, "a builtin that jumps over the cap and completes still ends oom") {
  RunReport report = run("new Array(3e7).fill(1.5); 'completed'", milliseconds(60'000));
  CHECK(report.status == RunStatus::kOom);
  CHECK_FALSE(report.result_json.has_value());
  CHECK(report.heap_peak_bytes > 64 * kMiB);
  CHECK_FALSE(sandbox->reusable());
}

TEST_CASE_FIXTURE(Fixture, "WebAssembly loops are stopped by the deadline") {
  // (module (func (export "spin") (loop (br 0))))
  RunReport report = run(R"(
    const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,4,1,96,0,0,3,2,1,0,7,8,1,4,115,112,
      105,110,0,0,10,9,1,7,0,3,64,12,0,11,11]);
    new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.spin();)",
                         milliseconds(50));
  CHECK(report.status == RunStatus::kTimeout);
  CHECK(report.stopped_by == StopReason::kDeadline);
}

}  // namespace
}  // namespace krepis

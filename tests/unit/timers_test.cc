// Timers: the queue on injected time (no sleeping), then setTimeout and setInterval on the
// real V8 against the run's deadline, its heap cap, and later runs of a warm isolate. Every
// timer that is meant to fire is due long before its run's deadline; the timers that must
// not fire are due long after it.
#include <doctest/doctest.h>

#include <string>

#include "core/ops/timer_queue.h"
#include "core/runtime/sandbox.h"
#include "unit/ok_result.h"
#include "unit/test_engine.h"

namespace krepis {
namespace {

using std::chrono::milliseconds;
using Time = TimerQueue::Time;

TEST_CASE("the timer queue fires by due time, then in the order timers were set") {
  TimerQueue queue;
  const Time t0{};
  auto late = queue.add(t0, milliseconds(10), false);
  auto first = queue.add(t0, milliseconds(1), false);
  auto second = queue.add(t0, milliseconds(1), false);
  REQUIRE(late);
  CHECK(queue.next_due() == t0 + milliseconds(1));
  CHECK_FALSE(queue.take_due(t0));  // nothing is due yet
  CHECK(queue.take_due(t0 + milliseconds(5)) == first);
  CHECK(queue.take_due(t0 + milliseconds(5)) == second);
  CHECK_FALSE(queue.take_due(t0 + milliseconds(5)));
  CHECK(queue.take_due(t0 + milliseconds(10)) == late);
  CHECK_FALSE(queue.next_due());
  CHECK(queue.live() == 0);
}

TEST_CASE("an interval comes again after each firing until cancelled, cancelling is final") {
  TimerQueue queue;
  const Time t0{};
  auto every = queue.add(t0, milliseconds(3), true);
  auto once = queue.add(t0, milliseconds(4), false);
  CHECK(queue.take_due(t0 + milliseconds(3)) == every);
  CHECK(queue.next_due() == t0 + milliseconds(4));
  CHECK(queue.take_due(t0 + milliseconds(4)) == once);
  CHECK(queue.next_due() == t0 + milliseconds(6));
  CHECK(queue.cancel(*every));
  CHECK_FALSE(queue.cancel(*every));
  CHECK_FALSE(queue.cancel(*once));  // fired already
  CHECK_FALSE(queue.cancel(12345));
  CHECK_FALSE(queue.next_due());
  CHECK_FALSE(queue.take_due(t0 + milliseconds(100)));
}

TEST_CASE("timers that do not keep the run alive fire only while another does") {
  TimerQueue queue;
  const Time t0{};
  auto background = queue.add(t0, milliseconds(1), false, /*keeps_run_alive=*/false);
  CHECK_FALSE(queue.next_due());                                      // alone, it lets the run end
  CHECK(queue.next_due(/*any_timer=*/true) == t0 + milliseconds(1));  // unless awaited
  auto foreground = queue.add(t0, milliseconds(5), false);
  CHECK(queue.next_due() == t0 + milliseconds(1));
  CHECK(queue.take_due(t0 + milliseconds(5)) == background);
  CHECK(queue.take_due(t0 + milliseconds(5)) == foreground);
  CHECK_FALSE(queue.next_due());
}

TEST_CASE("setting and clearing timers forever holds memory for the live ones only") {
  TimerQueue queue;
  const Time t0{};
  auto kept = queue.add(t0, milliseconds(1000), false);
  std::size_t most = 0;
  bool all_set = true;
  for (int i = 0; i < 200000; ++i) {
    auto id = queue.add(t0, milliseconds(1000 + i), false);
    all_set = all_set && id && queue.cancel(*id);
    most = std::max(most, queue.held_bytes());
  }
  CHECK(all_set);
  CHECK(queue.live() == 1);
  CHECK(most < 16 * 1024);
  CHECK(queue.take_due(t0 + milliseconds(1000)) == kept);
}

struct TimersFixture {
  Watchdog watchdog;
  std::unique_ptr<Sandbox> sandbox = make(64);

  std::unique_ptr<Sandbox> make(std::size_t heap_mb) {
    SandboxConfig config;
    config.heap_cap_bytes = heap_mb * kMiB;
    return std::make_unique<Sandbox>(test::engine(), watchdog, std::move(config));
  }
  RunReport run(const std::string& code, milliseconds deadline = milliseconds(20000)) {
    return sandbox->run(Job{"acme", "timers.js", code, std::nullopt, deadline});
  }
  std::string result(const std::string& code) { return test::ok_result(run(code), code); }
};

TEST_CASE_FIXTURE(TimersFixture,
                  "timers fire in order, with their arguments, and keep the run going") {
  CHECK(result(R"(
    const order = [];
    setTimeout(() => order.push('b'), 0);
    setTimeout((x, y) => order.push('c' + x + y), 0, 1, 2);
    const i = setInterval(() => {
      order.push('i');
      if (order.filter((v) => v === 'i').length === 3) clearInterval(i);
    }, 1);
    clearTimeout(setTimeout(() => order.push('cleared'), 0));
    queueMicrotask(() => order.push('micro'));
    order.push('a');
    globalThis.order = order;
    [typeof i, i > 0, [setTimeout.length, setInterval.length]]
  )") == R"(["number",true,[1,1]])");
  // The run lasts until its timers are done, though its script returned at once.
  CHECK(result(R"(
    let done = false;
    setTimeout(() => setTimeout(() => { done = true; }, 1), 1);
    new Promise((resolve) => setTimeout(() => resolve(done), 0)).then((early) => [early])
  )") == "[false]");
  CHECK(result(R"(
    const seen = [];
    setTimeout(() => seen.push(1), 0);
    new Promise((resolve) => setTimeout(() => setTimeout(() => resolve(seen), 0), 0))
  )") == "[1]");
  CHECK(result(R"(
    const order = [];
    setTimeout(() => { order.push('t1'); Promise.resolve().then(() => order.push('m1')); }, 0);
    setTimeout(() => order.push('t2'), 0);
    new Promise((resolve) => setTimeout(() => resolve(order), 0))
  )") == R"(["t1","m1","t2"])");
}

TEST_CASE_FIXTURE(TimersFixture, "bad arguments are refused or read as node reads them") {
  CHECK(result("try { setTimeout('1 + 1', 0); 'none' } catch (e) { e.name + ': ' + e.message }") ==
        R"("TypeError: setTimeout: the callback must be a function, got a string")");
  CHECK(result(R"(
    const order = [];
    setTimeout(() => order.push('nan'), NaN);
    setTimeout(() => order.push('negative'), -5);
    setTimeout(() => order.push('string'), '0');
    setTimeout(() => order.push('object'), {valueOf() { throw new Error('never called'); }});
    clearTimeout(undefined); clearTimeout('1'); clearTimeout({}); clearInterval(-1);
    new Promise((resolve) => setTimeout(() => resolve(order), 1))
  )") == R"(["nan","negative","string","object"])");
}

TEST_CASE_FIXTURE(
    TimersFixture,
    "a timer's call is out of the script's reach, and the host's timers are not its to clear") {
  // A script's setter on Array.prototype never sees what a timer will call.
  CHECK(result(R"(
    let seen = 'nothing';
    Object.defineProperty(Array.prototype, 0, { set(v) { seen = this; }, get() {}, configurable: true });
    Object.defineProperty(Array.prototype, 1, { set(v) { seen = this; }, get() {}, configurable: true });
    let got;
    setTimeout((x) => { got = x; }, 0, 'argument');
    delete Array.prototype[0];
    delete Array.prototype[1];
    new Promise((resolve) => setTimeout(() => resolve([typeof seen === 'string' ? seen : 'leaked', got]), 1))
  )") == R"(["nothing","argument"])");
  // Timer ids the host uses are not the script's to clear.
  CHECK(result(R"(
    const s = AbortSignal.timeout(1);
    clearTimeout(1);
    new Promise((resolve) => s.onabort = () => resolve(s.reason.name))
  )") == R"("TimeoutError")");
}

TEST_CASE_FIXTURE(TimersFixture,
                  "a timer past the deadline, or an interval never cleared, ends in timeout") {
  RunReport late = run("setTimeout(() => {}, 600000); 'returned'", milliseconds(200));
  CHECK(late.status == RunStatus::kTimeout);
  CHECK(late.stopped_by == StopReason::kDeadline);
  RunReport forever = run("setInterval(() => {}, 1); 'returned'", milliseconds(200));
  CHECK(forever.status == RunStatus::kTimeout);
  CHECK(forever.stopped_by == StopReason::kDeadline);
  // Not an unsettled promise: a timer could still settle it, until the deadline.
  RunReport waiting =
      run("new Promise((resolve) => setTimeout(resolve, 600000))", milliseconds(200));
  CHECK(waiting.status == RunStatus::kTimeout);
  CHECK(waiting.stopped_by == StopReason::kDeadline);
  // The sandbox is fine afterwards.
  CHECK(result("1 + 1") == "2");
}

TEST_CASE_FIXTURE(TimersFixture,
                  "a throw in a timer fails the run with its stack, as an uncaught error") {
  RunReport report = run("setTimeout(function tick() { throw new Error('boom'); }, 0); 1");
  CHECK(report.status == RunStatus::kError);
  CHECK(report.error.value_or("") == "timers.js:1:30: Uncaught Error: boom");
  CHECK(report.stack.value_or("").find("at tick (timers.js:1:36)") != std::string::npos);
  RunReport rejected = run("setTimeout(() => Promise.reject(new Error('late')), 0); 1");
  CHECK(rejected.status == RunStatus::kError);
  CHECK(rejected.error.value_or("").find("Uncaught (in promise) Error: late") != std::string::npos);
}

TEST_CASE_FIXTURE(TimersFixture, "a timer set in one run never fires in a later one") {
  // Run N sets timers and fails at once; run N+1, on the same warm isolate, sees none.
  RunReport first = run(R"(
    setTimeout(() => console.log('late timeout'), 0);
    setInterval(() => console.log('late interval'), 1);
    throw new Error('ends now');
  )");
  CHECK(first.status == RunStatus::kError);
  RunReport second = run(R"(
    new Promise((resolve) => setTimeout(() => resolve('mine'), 5))
  )");
  CHECK(second.warm);
  CHECK(second.result_json == std::optional<std::string>(R"("mine")"));
  CHECK(second.output.empty());
  // Timer ids start again: nothing of the last run's queue is left.
  CHECK(result("setTimeout(() => {}, 0)") == "1");
  // The same in a REPL's kept context: each entry's timers are its own.
  sandbox->keep_context(true);
  RunReport entry =
      run("globalThis.fired = 0; setTimeout(() => fired++, 600000); 'set'", milliseconds(200));
  CHECK(entry.status == RunStatus::kTimeout);
  CHECK(result("new Promise((resolve) => setTimeout(() => resolve(fired), 1))") == "0");
  sandbox->keep_context(false);
}

TEST_CASE_FIXTURE(TimersFixture,
                  "what a stopped run's timers would call is garbage once the run ends") {
  // 32 MB kept only by a timer that never fired: the run's end must let it go, or it would
  // count against the next runs of this warm isolate.
  RunReport stopped =
      run("const big = new Array(4 << 20).fill(1.5); setTimeout(() => big.length, 600000); 'set'",
          milliseconds(300));
  CHECK(stopped.status == RunStatus::kTimeout);
  CHECK(stopped.heap_peak_bytes > 32 * kMiB);
  RunReport next = run("1 + 1");
  CHECK(next.warm);
  CHECK(next.heap_used_bytes < 16 * kMiB);
}

TEST_CASE_FIXTURE(TimersFixture,
                  "100k timers fit, setting timers forever is bounded by the heap cap") {
  CHECK(result(R"(
    let fired = 0;
    for (let i = 0; i < 100000; i++) setTimeout(() => fired++, i % 3);
    new Promise((resolve) => setTimeout(() => resolve(fired), 5))
  )") == "100000");
  sandbox = make(32);
  // The same function each time: little heap per timer, so the count limit speaks first.
  RunReport cheap = run("const f = () => {}; for (;;) setTimeout(f, 600000)");
  CHECK(cheap.status == RunStatus::kError);
  CHECK(cheap.error.value_or("").find(
            "RangeError: setTimeout: 131072 timers are live, as many as a heap cap of 32 MiB "
            "allows") != std::string::npos);
  // Big arguments: the heap cap speaks first.
  RunReport heavy = run("for (;;) setInterval(() => {}, 600000, new Array(200).fill(0))");
  CHECK(heavy.status == RunStatus::kOom);
  CHECK(heavy.heap_peak_bytes + heavy.external_bytes < 48 * kMiB);
  // The host's own timers (AbortSignal.timeout) are bounded the same: by the count, or by
  // the heap their signals take, whichever comes first.
  sandbox = make(32);
  RunReport signals = run("for (;;) AbortSignal.timeout(600000)");
  CHECK((signals.status == RunStatus::kOom ||
         signals.error.value_or("").find(
             "RangeError: AbortSignal.timeout: 131072 timers are live") != std::string::npos));
}

}  // namespace
}  // namespace krepis

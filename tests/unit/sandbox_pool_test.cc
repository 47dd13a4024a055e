// The pool with real sandboxes on the real V8: warm reuse per tenant, fresh contexts with
// nothing carried over, replacement after a cap hit, the leak guard, several threads.
#include "core/runtime/sandbox_pool.h"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/base/text_file.h"
#include "unit/test_engine.h"

namespace krepis {
namespace {

using std::chrono::milliseconds;

TenantSpec tenant(const std::string& id, std::size_t heap_mb = 64, std::size_t max_isolates = 4) {
  TenantSpec spec;
  spec.id = id;
  spec.limits.heap_bytes = heap_mb * kMiB;
  // Generous: these runs end by themselves (or by the heap cap), even on a loaded machine.
  spec.limits.deadline = milliseconds(10000);
  spec.max_isolates = max_isolates;
  return spec;
}

struct Fixture {
  Watchdog watchdog;
  PoolSettings settings;

  SandboxPool make_pool() {
    return SandboxPool(settings, sandbox_factory(test::engine(), watchdog, settings, {}));
  }
};

// One run on a lease of the pool; `sandbox` receives the instance's address.
RunReport run(SandboxPool& pool, const TenantSpec& spec, const std::string& code,
              const Sandbox** sandbox = nullptr) {
  SandboxPool::Lease lease = pool.acquire(spec);
  if (sandbox != nullptr) *sandbox = &*lease;
  return lease->run(Job{spec.id, "test.js", code, std::nullopt, spec.limits.deadline});
}

std::string test_script(const std::string& name) {
  Result<std::string> file = read_text_file(std::string(KREPIS_TEST_SCRIPTS) + "/" + name);
  REQUIRE_MESSAGE(file.ok(), (file.ok() ? "" : file.error().message));
  return *file;
}

TEST_CASE_FIXTURE(Fixture, "runs of tenants A, B, A are cold, cold, warm on separate isolates") {
  SandboxPool pool = make_pool();
  const Sandbox* a1 = nullptr;
  const Sandbox* b1 = nullptr;
  const Sandbox* a2 = nullptr;
  RunReport first = run(pool, tenant("a"), "globalThis.mine = 'a'; 1", &a1);
  RunReport second = run(pool, tenant("b"), "typeof mine", &b1);
  RunReport third = run(pool, tenant("a"), "typeof mine", &a2);
  CHECK_FALSE(first.warm);
  CHECK_FALSE(second.warm);
  CHECK(third.warm);
  CHECK(a1 == a2);
  CHECK(a1 != b1);
  CHECK(second.result_json == R"("undefined")");
  CHECK(third.result_json == R"("undefined")");
  PoolFigures figures = pool.figures();
  CHECK(figures.cold_starts == 2);
  CHECK(figures.hits == 1);
}

TEST_CASE_FIXTURE(Fixture, "nothing of a run is reachable in the next run of its warm isolate") {
  SandboxPool pool = make_pool();
  RunReport polluter = run(pool, tenant("a"), test_script("pollute-globals.js"));
  CHECK(polluter.status == RunStatus::kOk);
  // Let late work of the polluter (its WebAssembly compilation) finish inside a run, so it
  // lands there if anything could: this run waits on compilations of the same bytes, posted
  // after the polluter's, instead of on the clock.
  RunReport settle =
      run(pool, tenant("a"),
          "(async () => { const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);"
          "  for (let i = 0; i < 8; i++) await WebAssembly.compile(wasm); })()");
  CHECK(settle.status == RunStatus::kOk);
  RunReport checker = run(pool, tenant("a"), test_script("sees-no-pollution.js"));
  CHECK(checker.warm);
  INFO(checker.error.value_or(""));
  CHECK(checker.result_json == "[]");
  REQUIRE(checker.output.size() == 1);
  CHECK(checker.output[0] == "console works");
}

TEST_CASE_FIXTURE(Fixture, "an unhandled rejection of one run does not fail the next") {
  SandboxPool pool = make_pool();
  CHECK(run(pool, tenant("a"), "Promise.reject(new Error('mine')); 1").status == RunStatus::kError);
  CHECK(run(pool, tenant("a"), "2").status == RunStatus::kOk);
}

TEST_CASE_FIXTURE(Fixture, "an isolate that hit its cap is replaced, and the next run is cold") {
  SandboxPool pool = make_pool();
  const TenantSpec spec = tenant("a", 32);
  CHECK(run(pool, spec, "1").status == RunStatus::kOk);
  RunReport bomb = run(pool, spec, test_script("heap-bomb-incremental.js"));
  CHECK(bomb.status == RunStatus::kOom);
  CHECK(pool.figures().replacements == 1);
  RunReport after = run(pool, spec, "'fine'");
  CHECK(after.status == RunStatus::kOk);
  CHECK_FALSE(after.warm);
}

TEST_CASE_FIXTURE(Fixture, "the leak guard retires an isolate that keeps memory across runs") {
  // Symbol.for's registry belongs to the isolate, so its entries outlive every context.
  settings.retire_heap_percent = 40;
  SandboxPool pool = make_pool();
  const TenantSpec spec = tenant("a", 64);
  const Sandbox* leaker = nullptr;
  const Sandbox* next = nullptr;
  RunReport leak = run(pool, spec,
                       "for (let i = 0; i < 250000; i++) Symbol.for('leak-' + i + '-' + "
                       "'x'.repeat(40)); 1",
                       &leaker);
  CHECK(leak.status == RunStatus::kOk);
  CHECK(pool.figures().retirements == 1);
  RunReport after = run(pool, spec, "1", &next);
  CHECK_FALSE(after.warm);
  CHECK(after.heap_used_bytes < 8 * kMiB);
}

TEST_CASE_FIXTURE(Fixture, "no run pays for what an earlier one left in the isolate") {
  // Under the default retire_heap_percent (50), a run leaves 40-49 % of the cap in the
  // isolate-wide Symbol.for registry; the next needs 80 % of a fresh heap, and gets one.
  SandboxPool pool = make_pool();
  const TenantSpec spec = tenant("a", 64);
  {
    SandboxPool::Lease lease = pool.acquire(spec);
    RunReport leak = lease->run(Job{spec.id, "leak.js",
                                    "for (let i = 0; i < 230000; i++) Symbol.for('leak-' + i + "
                                    "'-' + 'x'.repeat(40)); 1",
                                    std::nullopt, spec.limits.deadline});
    REQUIRE(leak.status == RunStatus::kOk);
    // What a full GC leaves: under the old guard's 50 %, which kept such an isolate.
    CHECK(lease->retained_bytes() > 64 * kMiB * 40 / 100);
    CHECK(lease->retained_bytes() < 64 * kMiB * 50 / 100);
  }
  CHECK(pool.figures().retirements == 1);
  RunReport needs_most =
      run(pool, spec, "const a = new Float64Array(6.7e6); a.fill(1.5); a.length");
  INFO(needs_most.error.value_or(""));
  CHECK(needs_most.status == RunStatus::kOk);
  CHECK(needs_most.external_bytes > 64 * kMiB * 80 / 100 - kMiB);
}

TEST_CASE_FIXTURE(Fixture, "garbage of a run is collected, not taken for a leak") {
  settings.retire_heap_percent = 40;
  SandboxPool pool = make_pool();
  const TenantSpec spec = tenant("a", 64);
  RunReport big = run(pool, spec, "globalThis.big = new Array(4e6).fill(1.5); 1");
  CHECK(big.status == RunStatus::kOk);
  CHECK(pool.figures().retirements == 0);
  CHECK(run(pool, spec, "1").warm);
}

TEST_CASE_FIXTURE(Fixture, "threads share the pool: a tenant grows to its cap, and waits there") {
  SandboxPool pool = make_pool();
  const TenantSpec spec = tenant("a", 64, 2);
  std::vector<std::thread> workers;
  std::atomic<int> ok = 0;
  for (int thread = 0; thread < 3; ++thread) {
    workers.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (run(pool, spec, "let s = 0; for (let i = 0; i < 1e5; i++) s += i; s").status ==
            RunStatus::kOk) {
          ++ok;
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  CHECK(ok == 15);
  PoolFigures figures = pool.figures();
  CHECK(figures.cold_starts <= 2);
  CHECK(figures.cold_starts + figures.hits == 15);
  CHECK(figures.alive == figures.cold_starts);
}

}  // namespace
}  // namespace krepis

// The runtime seam on the real V8: jobs by tenant, the REPL's sessions with a kept context,
// interrupts that come before an entry has an isolate, and an isolate lost mid-session.
#include "core/runtime/runtime.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/runtime/memory_watch.h"
#include "unit/test_engine.h"

namespace krepis {
namespace {

using std::chrono::milliseconds;

// The test process hosts V8 itself: its runtime grants headroom again rather than letting
// V8 end the process; no run here may need last words (they would end the test process).
struct Fixture {
  Manifest manifest = builtin_manifest();
  Runtime runtime{test::engine(), manifest,
                  RuntimeOptions{.last_words = [](const RunReport&) { std::abort(); },
                                 .long_lived = false,
                                 .worker_process = false}};
  const TenantSpec& tenant = *manifest.find("default");

  Job job(const std::string& code) {
    return Job{tenant.id, "runtime.js", code, std::nullopt, milliseconds(30'000)};
  }
};

// The memory watch's baseline and samples: what the kernel counts as resident, in bytes.
TEST_CASE("the memory watch reads the process's resident memory, as the kernel counts it") {
  const auto kernel_rss = [] {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6)) * 1024;  // kB
    }
    return 0ULL;
  };
  MemoryWatch watch;
  const std::size_t before = watch.resident_bytes();
  const std::size_t kernel_before = kernel_rss();
  CHECK(before > 0);
  // Both read the same counters a moment apart: only this thread's small allocations differ.
  CHECK(before <= kernel_before + 4 * kMiB);
  CHECK(before + 4 * kMiB >= kernel_before);
  constexpr std::size_t kTouched = 64 * kMiB;
  std::vector<char> block(kTouched);
  std::memset(block.data(), 1, block.size());
  CHECK(watch.resident_bytes() >= before + kTouched - 4 * kMiB);
  CHECK(block[kTouched / 2] == 1);
}

TEST_CASE_FIXTURE(Fixture, "a job runs on its tenant's warm isolate, fresh context each time") {
  RunReport first = runtime.run(job("globalThis.left = 1; 40 + 2"));
  CHECK(first.status == RunStatus::kOk);
  CHECK(first.result_json == "42");
  CHECK_FALSE(first.warm);
  RunReport second = runtime.run(job("typeof left"));
  CHECK(second.warm);
  CHECK(second.result_json == R"("undefined")");
  CHECK(runtime.figures().hits == 1);
  CHECK(runtime.figures().cold_starts == 1);
}

TEST_CASE_FIXTURE(Fixture, "a tenant the manifest lacks is denied, naming the manifest's") {
  Job stranger = job("1");
  stranger.tenant = "nobody";
  RunReport report = runtime.run(stranger);
  CHECK(report.status == RunStatus::kDenied);
  CHECK(report.error.value_or("").find("default") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "a session keeps one context across entries until it is reset") {
  Runtime::Session session(runtime, true);
  CHECK_FALSE(session.isolate_figures().has_value());
  CHECK(session.run(tenant, job("var kept = 7; kept"), nullptr).report.result_json == "7");
  Runtime::Session::Entry again = session.run(tenant, job("kept * 6"), nullptr);
  CHECK(again.report.result_json == "42");
  CHECK(again.report.warm);
  REQUIRE(session.isolate_figures().has_value());
  CHECK(session.isolate_figures()->runs == 2);
  session.reset_context();
  CHECK(session.run(tenant, job("typeof kept"), nullptr).report.result_json == R"("undefined")");
  session.keep_context(false);
  session.run(tenant, job("var gone = 1"), nullptr);
  CHECK(session.run(tenant, job("typeof gone"), nullptr).report.result_json == R"("undefined")");
  session.release();
  CHECK_FALSE(session.isolate_figures().has_value());
}

TEST_CASE_FIXTURE(Fixture, "an interrupt before the entry has an isolate stops that entry") {
  Runtime::Session session(runtime, true);
  session.interrupt();
  Runtime::Session::Entry entry = session.run(tenant, job("for (;;) {}"), nullptr);
  CHECK(entry.report.status == RunStatus::kError);
  CHECK(entry.report.stopped_by == StopReason::kInterrupted);
  session.clear_interrupt();
  CHECK(session.run(tenant, job("'next'"), nullptr).report.status == RunStatus::kOk);
}

TEST_CASE_FIXTURE(Fixture, "an isolate that passes its cap is lost with the kept context") {
  Runtime::Session session(runtime, true);
  session.run(tenant, job("var kept = 1"), nullptr);
  Runtime::Session::Entry bomb = session.run(
      tenant, job("const keep = []; for (;;) keep.push(new ArrayBuffer(16 * 1024 * 1024))"),
      nullptr);
  CHECK(bomb.report.status == RunStatus::kOom);
  CHECK(bomb.isolate_lost);
  CHECK_FALSE(session.isolate_figures().has_value());
  Runtime::Session::Entry next = session.run(tenant, job("typeof kept"), nullptr);
  CHECK(next.report.result_json == R"("undefined")");
  CHECK_FALSE(next.report.warm);
}

}  // namespace
}  // namespace krepis

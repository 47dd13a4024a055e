// How many jobs a batch hands each worker at once, with a stand-in worker (no process, no
// V8) whose jobs take the time its test says: four while they are quick, so that the worker
// has one to run while its replies are read, and two once they are slow, so that a slow job
// keeps few others from a worker that comes free.
#include "core/batch/batch_runner.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <string>

#include "core/base/manifest.h"

namespace krepis {
namespace {

class StandInWorker final : public Worker {
 public:
  StandInWorker(double wall_ms, std::size_t& most_handed)
      : wall_ms_(wall_ms), most_handed_(most_handed) {}
  void submit(const Job& job, const TenantSpec&) override {
    handed_.push_back(job);
    most_handed_ = std::max(most_handed_, handed_.size());
  }
  RunReport collect() override {
    RunReport report;
    report.tenant = handed_.front().tenant;
    report.script = handed_.front().script_name;
    report.wall_ms = wall_ms_;
    handed_.pop_front();
    return report;
  }
  bool can_queue(const Job&, const TenantSpec&) const override { return true; }
  PoolFigures figures() const override { return {}; }

 private:
  double wall_ms_;
  std::size_t& most_handed_;
  std::deque<Job> handed_;
};

// The most jobs the worker held at once in a batch of 12 jobs that each take `wall_ms`.
std::size_t most_handed(double wall_ms) {
  const Manifest manifest = builtin_manifest();
  BatchPlan plan;
  for (int i = 0; i < 12; ++i) {
    const std::string name = "job" + std::to_string(i) + ".js";
    plan.jobs.push_back({kDefaultTenantId,
                         std::filesystem::path("/batch") / kDefaultTenantId / name, std::nullopt,
                         std::string(kDefaultTenantId) + "/" + name});
  }
  std::size_t most = 0;
  std::size_t reported = 0;
  BatchRunner runner(
      manifest, plan, [&] { return std::make_unique<StandInWorker>(wall_ms, most); },
      [&](const RunReport&) { ++reported; });
  runner.run(1);
  CHECK(reported == 12);
  return most;
}

TEST_CASE("a worker is handed four quick jobs at once, and two slow ones") {
  // The tenant's cap on jobs in flight is no tighter.
  REQUIRE(builtin_manifest().find(kDefaultTenantId)->max_isolates >= BatchRunner::kHandedQuick);
  CHECK(most_handed(BatchRunner::kQuickJobMs / 10) == BatchRunner::kHandedQuick);
  CHECK(most_handed(BatchRunner::kQuickJobMs * 10) == BatchRunner::kHandedSlow);
}

}  // namespace
}  // namespace krepis

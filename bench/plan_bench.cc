// Planning a batch from its folder's listing, in-process, as `krepis batch` does before it
// runs anything (core/batch/batch_plan):
//   krepis_plan_bench DIR SHARDS jobs|tenant   plans shard 0 of SHARDS, five times
// Output: one JSON object: the milliseconds of each plan, the jobs this shard holds and the
// jobs of the others, and the process's peak resident set (planning is all it does).
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "core/batch/batch_plan.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: krepis_plan_bench DIR SHARDS jobs|tenant\n");
    return 2;
  }
  const krepis::Shard shard{0, static_cast<std::uint32_t>(std::atoi(argv[2])),
                            std::string(argv[3]) == "tenant" ? krepis::ShardBy::kTenant
                                                             : krepis::ShardBy::kJobs};
  std::vector<double> millis;
  std::size_t jobs = 0;
  std::size_t others = 0;
  for (int round = 0; round < 5; ++round) {
    auto start = bench::Clock::now();
    krepis::Result<krepis::BatchPlan> plan = krepis::plan_batch(argv[1], shard);
    millis.push_back(bench::micros(start) / 1000);
    if (!plan.ok()) {
      std::fprintf(stderr, "%s\n", plan.error().message.c_str());
      return 1;
    }
    jobs = plan->jobs.size();
    others = plan->other_shards;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("{\"ms\": [");
  for (std::size_t i = 0; i < millis.size(); ++i) std::printf(i ? ",%.1f" : "%.1f", millis[i]);
  std::printf("], \"jobs\": %zu, \"other_shards\": %zu, \"peak_rss_kib\": %ld}\n", jobs, others,
              usage.ru_maxrss);
  return 0;
}

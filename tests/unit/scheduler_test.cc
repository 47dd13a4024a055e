// The batch scheduler, the shard split and the summary, without V8 and without sleeping.
#include "core/batch/scheduler.h"

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "core/batch/batch_summary.h"
#include "core/batch/shard.h"

namespace krepis {
namespace {

std::vector<std::string> jobs_of(std::initializer_list<std::pair<const char*, int>> counts) {
  std::vector<std::string> tenants;
  for (auto [tenant, n] : counts) {
    for (int i = 0; i < n; ++i) tenants.push_back(tenant);
  }
  return tenants;
}

std::string tenant_order(Scheduler& scheduler, const std::vector<std::string>& tenants) {
  Scheduler::Affinity affinity;
  std::string order;
  while (auto job = scheduler.next(affinity)) {
    order += tenants[*job];
    scheduler.done(*job);
  }
  return order;
}

TEST_CASE("a worker keeps to its tenant for a streak, then gives the others a turn") {
  std::vector<std::string> tenants = jobs_of({{"a", 3}, {"b", 2}});
  Scheduler few(tenants, [](const std::string&) { return 4; });
  CHECK(tenant_order(few, tenants) == "aaabb");

  tenants = jobs_of({{"a", 20}, {"b", 1}, {"c", 1}});
  Scheduler many(tenants, [](const std::string&) { return 4; });
  // The small tenants wait at most one streak behind the big one.
  CHECK(tenant_order(many, tenants) == std::string(8, 'a') + "b" + "c" + std::string(12, 'a'));
}

TEST_CASE("a tenant that needs a worker process of its own keeps its worker for a longer "
          "streak") {
  const std::vector<std::string> tenants = jobs_of({{"a", 100}, {"b", 1}, {"c", 1}});
  Scheduler scheduler(
      tenants, [](const std::string&) { return 4; },
      [](const std::string& tenant) { return tenant == "a"; });
  // A streak of 8 would cost a's worker process twice per 8 jobs; the others still get a
  // turn after 64.
  CHECK(tenant_order(scheduler, tenants) ==
        std::string(64, 'a') + "bc" + std::string(36, 'a'));
}

TEST_CASE("two workers each keep to the tenants they warmed, until nothing else is left") {
  std::vector<std::string> tenants = jobs_of({{"a", 16}, {"b", 16}, {"c", 16}, {"d", 16}});
  Scheduler scheduler(tenants, [](const std::string&) { return 4; });
  Scheduler::Affinity workers[2];
  std::map<std::string, std::set<int>> served_by;
  std::string order[2];
  for (int turn = 0;; ++turn) {
    const int worker = turn % 2;
    std::optional<std::size_t> job = scheduler.next(workers[worker]);
    if (!job) break;
    served_by[tenants[*job]].insert(worker);
    order[worker] += tenants[*job];
    scheduler.done(*job);
  }
  // Each tenant's isolate is warm in one worker process only, and both workers work.
  for (const auto& [tenant, by] : served_by) CHECK_MESSAGE(by.size() == 1, tenant);
  CHECK(order[0].size() == 32);
  CHECK(order[1].size() == 32);
  // Round-robin still: a worker's tenants take turns in streaks of 8.
  CHECK(order[0].substr(0, 16) == "aaaaaaaacccccccc");
}

TEST_CASE("a tenant warm in another worker is taken when nothing else is left") {
  std::vector<std::string> tenants = jobs_of({{"a", 12}, {"b", 1}});
  Scheduler scheduler(tenants, [](const std::string&) { return 4; });
  Scheduler::Affinity first, second;
  CHECK(tenants[*scheduler.next(first)] == "a");
  CHECK(tenants[*scheduler.next(second)] == "b");
  CHECK(tenants[*scheduler.next(second)] == "a");  // b is done; a grows into this worker
}

TEST_CASE("a tenant at its cap is passed over while others have work") {
  std::vector<std::string> tenants = jobs_of({{"a", 3}, {"b", 3}});
  Scheduler scheduler(tenants, [](const std::string& tenant) { return tenant == "a" ? 1 : 4; });
  Scheduler::Affinity first, second, third;
  std::optional<std::size_t> one = scheduler.next(first);
  std::optional<std::size_t> two = scheduler.next(second);
  std::optional<std::size_t> three = scheduler.next(third);
  REQUIRE((one && two && three));
  CHECK(tenants[*one] == "a");
  CHECK(tenants[*two] == "b");    // a holds its one isolate
  CHECK(tenants[*three] == "b");  // b may grow: its cap is 4
  scheduler.done(*one);
  CHECK(tenants[*scheduler.next(first)] == "a");
}

TEST_CASE("a tenant with many jobs grows to its cap across workers") {
  std::vector<std::string> tenants = jobs_of({{"a", 10}});
  Scheduler scheduler(tenants, [](const std::string&) { return 3; });
  Scheduler::Affinity w1, w2, w3;
  CHECK(scheduler.next(w1).has_value());
  CHECK(scheduler.next(w2).has_value());
  CHECK(scheduler.next(w3).has_value());
  CHECK(scheduler.not_started() == 7);
}

TEST_CASE("stop hands out nothing more and counts what never started") {
  std::vector<std::string> tenants = jobs_of({{"a", 5}});
  Scheduler scheduler(tenants, [](const std::string&) { return 1; });
  Scheduler::Affinity affinity;
  auto job = scheduler.next(affinity);
  REQUIRE(job);
  scheduler.stop();
  scheduler.done(*job);
  CHECK_FALSE(scheduler.next(affinity).has_value());
  CHECK(scheduler.not_started() == 4);
}

TEST_CASE("many workers: every job is handed out exactly once, caps never exceeded") {
  std::vector<std::string> tenants;
  for (int i = 0; i < 300; ++i) tenants.push_back(std::string(1, static_cast<char>('a' + i % 7)));
  Scheduler scheduler(tenants, [](const std::string& tenant) { return tenant[0] % 3 + 1u; });
  std::mutex mutex;
  std::multiset<std::size_t> handed;
  std::map<std::string, int> in_flight;
  std::atomic<bool> over_cap = false;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      Scheduler::Affinity affinity;
      while (auto job = scheduler.next(affinity)) {
        const std::string& tenant = tenants[*job];
        {
          std::lock_guard lock(mutex);
          handed.insert(*job);
          if (++in_flight[tenant] > tenant[0] % 3 + 1) over_cap = true;
        }
        {
          std::lock_guard lock(mutex);
          --in_flight[tenant];
        }
        scheduler.done(*job);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  CHECK(handed.size() == tenants.size());
  CHECK(std::set<std::size_t>(handed.begin(), handed.end()).size() == tenants.size());
  CHECK_FALSE(over_cap);
}

TEST_CASE("shards: a stable split of tenants whose union is everything, once") {
  CHECK(parse_shard("2/8")->index == 2);
  CHECK_FALSE(parse_shard("8/8").ok());
  CHECK_FALSE(parse_shard("1/0").ok());
  CHECK_FALSE(parse_shard("a/b").ok());
  CHECK_FALSE(parse_shard("3").ok());
  CHECK(stable_hash("acme") == 0x0724d383f4f6de0fULL);  // FNV-1a, checked with Python
  for (std::uint32_t count = 1; count <= 5; ++count) {
    for (int t = 0; t < 100; ++t) {
      std::string tenant = "tenant-" + std::to_string(t);
      int takers = 0;
      for (std::uint32_t index = 0; index < count; ++index)
        takers += Shard{index, count}.takes(tenant);
      CHECK(takers == 1);
    }
  }
}

TEST_CASE("--shard auto: Kubernetes first, then Slurm, else an error") {
  std::map<std::string, std::string> env;
  auto get = [&](const char* name) -> const char* {
    auto found = env.find(name);
    return found == env.end() ? nullptr : found->second.c_str();
  };
  CHECK_FALSE(shard_from_environment(get, 4).ok());
  env["JOB_COMPLETION_INDEX"] = "3";
  CHECK(shard_from_environment(get, 4)->index == 3);
  Result<Shard> needs_count = shard_from_environment(get, std::nullopt);
  REQUIRE_FALSE(needs_count.ok());
  CHECK(needs_count.error().message.find("--shards") != std::string::npos);
  env.clear();
  env["SLURM_ARRAY_TASK_ID"] = "11";
  env["SLURM_ARRAY_TASK_COUNT"] = "4";
  env["SLURM_ARRAY_TASK_MIN"] = "10";
  Result<Shard> slurm = shard_from_environment(get, std::nullopt);
  REQUIRE(slurm.ok());
  CHECK(slurm->index == 1);
  CHECK(slurm->count == 4);
}

TEST_CASE("the summary counts, ranks and merges") {
  BatchSummary summary;
  for (int i = 1; i <= 100; ++i) {
    RunReport report;
    report.tenant = i % 2 ? "odd" : "even";
    report.script = std::to_string(i);
    report.status = i == 100 ? RunStatus::kTimeout : RunStatus::kOk;
    report.wall_ms = i;
    summary.add(report);
  }
  summary.add(denied_report("x", "x.js", "no"));
  CHECK(summary.jobs() == 101);
  const BatchSummary::Percentiles wall = summary.wall_percentiles();
  CHECK(wall.p50 == 50);
  CHECK(wall.p99 == 99);
  CHECK(wall.max == 100);  // the denied job has no wall time
  CHECK(summary.exit_status == 124);
  nlohmann::json json = summary.to_json()["summary"];
  CHECK(json["counts"]["ok"] == 99);
  CHECK(json["tenants"]["odd"]["ok"] == 50);

  BatchSummary merged;
  merged.shards = 0;
  CHECK(merged.merge_line({{"tenant", "a"}, {"status", "oom"}, {"wall_ms", 3.0}}));
  CHECK(merged.merge_line(nlohmann::json::parse(R"({"summary": {"elapsed_ms": 9, "shards": 1,
                                           "pool": {"hits": 2, "misses": 1}}})")));
  CHECK_FALSE(merged.merge_line({{"hello", 1}}));
  CHECK(merged.jobs() == 1);
  CHECK(merged.pool.hits == 2);
  CHECK(merged.shards == 1);
  CHECK(merged.exit_status == 3);
}

}  // namespace
}  // namespace krepis

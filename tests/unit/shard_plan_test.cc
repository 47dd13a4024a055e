// Balanced shards (core/batch/shard_plan.h): every shard near the mean, tenants cut only when
// one alone passes a shard's share, the same plan for the same counts.
#include "core/batch/shard_plan.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

namespace krepis {
namespace {

std::vector<std::size_t> loads(const std::vector<ShardPart>& parts, std::uint32_t shards) {
  std::vector<std::size_t> jobs(shards, 0);
  for (const ShardPart& part : parts) jobs[part.shard] += part.end - part.begin;
  return jobs;
}

double max_over_mean(const std::vector<std::size_t>& jobs) {
  const double total = std::accumulate(jobs.begin(), jobs.end(), 0.0);
  return static_cast<double>(*std::max_element(jobs.begin(), jobs.end())) /
         (total / static_cast<double>(jobs.size()));
}

// Every job of every tenant is in exactly one part, and a tenant's parts run in order.
void check_covers(const std::vector<ShardPart>& parts, const std::vector<std::size_t>& counts) {
  std::map<std::size_t, std::size_t> next;  // tenant -> the first job not yet covered
  for (const ShardPart& part : parts) {
    CHECK(part.begin == next[part.tenant]);
    CHECK(part.end >= part.begin);
    next[part.tenant] = part.end;
  }
  REQUIRE(next.size() == counts.size());
  for (std::size_t tenant = 0; tenant < counts.size(); ++tenant) {
    CHECK(next[tenant] == counts[tenant]);
  }
}

TEST_CASE("1,000 tenants with Zipf-distributed jobs over 8 shards: max/mean within 1.1") {
  for (double exponent : {0.8, 1.0, 1.2}) {
    CAPTURE(exponent);
    std::vector<std::size_t> counts;
    for (int rank = 1; rank <= 1000; ++rank) {
      counts.push_back(std::max<std::size_t>(
          1, static_cast<std::size_t>(std::round(15000.0 / std::pow(rank, exponent)))));
    }
    std::vector<ShardPart> parts = balance_shards(counts, 8);
    check_covers(parts, counts);
    CHECK(max_over_mean(loads(parts, 8)) <= 1.1);
    // A tenant of more than 1.1x a shard's share is cut; few others are (one per shard).
    const std::size_t total = std::accumulate(counts.begin(), counts.end(), std::size_t{0});
    const std::size_t share = (total + 7) / 8;
    const std::size_t whole = std::max(share, total * 11 / 80);
    std::map<std::size_t, std::size_t> pieces;
    for (const ShardPart& part : parts) ++pieces[part.tenant];
    std::size_t cut_small = 0;
    for (const auto& [tenant, n] : pieces) {
      CAPTURE(tenant);
      if (counts[tenant] > whole) CHECK(n > 1);
      if (counts[tenant] <= share && n > 1) ++cut_small;
    }
    CHECK(cut_small <= 8);
  }
}

TEST_CASE("one tenant of 10,000 jobs over 4 shards is cut evenly, one part per shard") {
  std::vector<ShardPart> parts = balance_shards({10'000}, 4);
  check_covers(parts, {10'000});
  REQUIRE(parts.size() == 4);
  CHECK(loads(parts, 4) == std::vector<std::size_t>{2500, 2500, 2500, 2500});
  std::set<std::uint32_t> shards;
  for (const ShardPart& part : parts) shards.insert(part.shard);
  CHECK(shards.size() == 4);
}

TEST_CASE("the FNV tenant hash's worst case, 0, 20 and 60 jobs, balances") {
  // Four tenants of 20 jobs over 3 shards (the hash put three on one shard): three stay
  // whole, the fourth fills the shards to the mean.
  std::vector<ShardPart> parts = balance_shards({20, 20, 20, 20}, 3);
  check_covers(parts, {20, 20, 20, 20});
  std::vector<std::size_t> jobs = loads(parts, 3);
  CHECK(*std::max_element(jobs.begin(), jobs.end()) == 27);
  CHECK(*std::min_element(jobs.begin(), jobs.end()) == 26);
  std::map<std::size_t, std::size_t> pieces;
  for (const ShardPart& part : parts) ++pieces[part.tenant];
  CHECK(pieces == std::map<std::size_t, std::size_t>{{0, 1}, {1, 1}, {2, 1}, {3, 3}});
  // Tenants that fit within 10 % of the mean stay whole: 10, 10, 9 over 3 shards.
  std::vector<ShardPart> near = balance_shards({10, 10, 9}, 3);
  CHECK(near.size() == 3);
}

TEST_CASE("the same counts give the same plan, and tenants without jobs have a shard") {
  std::vector<std::size_t> counts = {5, 0, 17, 3, 3, 9, 0, 1};
  std::vector<ShardPart> first = balance_shards(counts, 3);
  std::vector<ShardPart> second = balance_shards(counts, 3);
  REQUIRE(first.size() == second.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i].tenant == second[i].tenant);
    CHECK(first[i].shard == second[i].shard);
    CHECK(first[i].begin == second[i].begin);
  }
  check_covers(first, counts);
  // One shard, or more shards than jobs.
  check_covers(balance_shards(counts, 1), counts);
  check_covers(balance_shards(counts, 100), counts);
  check_covers(balance_shards({}, 4), {});
}

TEST_CASE("a plan's fingerprint changes with the listing, the mode and the shard count") {
  auto fingerprint = [](std::string_view mode, std::uint32_t shards,
                        const std::vector<std::string>& names) {
    PlanFingerprint print(mode, shards);
    for (const std::string& name : names) print.add(name);
    return print.hex();
  };
  const std::string base = fingerprint("jobs", 4, {"a/1.js", "a/2.js", "b/1.js"});
  CHECK(base.size() == 16);
  CHECK(base == fingerprint("jobs", 4, {"a/1.js", "a/2.js", "b/1.js"}));
  CHECK(base != fingerprint("jobs", 4, {"a/1.js", "a/2.js"}));
  CHECK(base != fingerprint("jobs", 4, {"a/1.js", "a/2.js", "b/1.mjs"}));
  CHECK(base != fingerprint("jobs", 3, {"a/1.js", "a/2.js", "b/1.js"}));
  CHECK(base != fingerprint("tenant", 4, {"a/1.js", "a/2.js", "b/1.js"}));
  // Names are delimited: "ab" then "c" is not "a" then "bc".
  CHECK(fingerprint("jobs", 2, {"ab", "c"}) != fingerprint("jobs", 2, {"a", "bc"}));
}

}  // namespace
}  // namespace krepis

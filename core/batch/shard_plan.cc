#include "core/batch/shard_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <queue>
#include <utility>

namespace krepis {
namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

std::uint64_t fnv(std::uint64_t hash, std::string_view text) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace

std::vector<ShardPart> balance_shards(const std::vector<std::size_t>& jobs_per_tenant,
                                      std::uint32_t shards) {
  std::size_t total = 0;
  for (std::size_t jobs : jobs_per_tenant) total += jobs;
  // A shard is full at the mean (rounded up); a whole tenant may take it up to 10 % past.
  const std::size_t full = std::max<std::size_t>(1, (total + shards - 1) / shards);
  const std::size_t whole = std::max(full, total * 11 / (10 * static_cast<std::size_t>(shards)));
  // Largest tenants first; among equals, in the listing's order, so every shard sorts alike.
  std::vector<std::size_t> order(jobs_per_tenant.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return jobs_per_tenant[a] > jobs_per_tenant[b];
  });
  using Load = std::pair<std::size_t, std::uint32_t>;  // jobs so far, shard
  std::priority_queue<Load, std::vector<Load>, std::greater<>> least;
  for (std::uint32_t shard = 0; shard < shards; ++shard) least.push({0, shard});
  std::vector<ShardPart> parts;
  for (std::size_t tenant : order) {
    std::size_t begin = 0;
    std::size_t left = jobs_per_tenant[tenant];
    do {
      auto [load, shard] = least.top();
      least.pop();
      // The rest of the tenant, whole, when it fits; else as much as fills this shard (the
      // least loaded, so it has room: the shards together hold every job).
      const std::size_t room = full > load ? full - load : 0;
      const std::size_t size = load + left <= whole || room == 0 ? left : std::min(left, room);
      parts.push_back({tenant, shard, begin, begin + size});
      least.push({load + size, shard});
      begin += size;
      left -= size;
    } while (left > 0);
  }
  // Each tenant's parts in job order, the tenants in the listing's.
  std::stable_sort(parts.begin(), parts.end(), [](const ShardPart& a, const ShardPart& b) {
    return a.tenant != b.tenant ? a.tenant < b.tenant : a.begin < b.begin;
  });
  return parts;
}

PlanFingerprint::PlanFingerprint(std::string_view mode, std::uint32_t shards)
    : hash_(fnv(kFnvOffset, fmt::format("krepis plan 1\n{}\n{}\n", mode, shards))) {}

void PlanFingerprint::add(std::string_view name) {
  hash_ = fnv(hash_, name);
  hash_ = fnv(hash_, "\n");
}

std::string PlanFingerprint::hex() const { return fmt::format("{:016x}", hash_); }

}  // namespace krepis

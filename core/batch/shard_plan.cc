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
  const std::size_t share = std::max<std::size_t>(1, (total + shards - 1) / shards);
  std::vector<ShardPart> parts;
  for (std::size_t tenant = 0; tenant < jobs_per_tenant.size(); ++tenant) {
    const std::size_t jobs = jobs_per_tenant[tenant];
    // As few parts as keep each within the share, as even as can be.
    const std::size_t count = std::max<std::size_t>(1, (jobs + share - 1) / share);
    std::size_t begin = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t size = jobs / count + (i < jobs % count ? 1 : 0);
      parts.push_back({tenant, 0, begin, begin + size});
      begin += size;
    }
  }
  // Largest first; among equals, in the listing's order, so every shard sorts alike.
  std::vector<std::size_t> order(parts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return parts[a].end - parts[a].begin > parts[b].end - parts[b].begin;
  });
  using Load = std::pair<std::size_t, std::uint32_t>;  // jobs so far, shard
  std::priority_queue<Load, std::vector<Load>, std::greater<>> least;
  for (std::uint32_t shard = 0; shard < shards; ++shard) least.push({0, shard});
  for (std::size_t index : order) {
    auto [load, shard] = least.top();
    least.pop();
    parts[index].shard = shard;
    least.push({load + (parts[index].end - parts[index].begin), shard});
  }
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

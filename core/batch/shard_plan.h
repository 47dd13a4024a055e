// Balanced shards: which shard runs which of a batch's jobs, planned from the whole listing
// so that every shard gets about the same number of jobs (batch --shard I/N, the default
// `--shard-by jobs`). A tenant stays whole on one shard, where its isolates stay warm, when
// it fits: the largest tenants go first, each to the shard with the fewest jobs, whole if
// that keeps the shard within 10 % of the mean. One that does not fit is cut: a run of its
// jobs (in name order) fills that shard to the mean, and the rest goes on to the next
// least-loaded shard, each part with its own warm pool there. So no shard holds more than
// 1.1x the mean (rounded), a tenant of more than that is always cut, and only those that
// would overfill a shard are cut otherwise (at most one per shard).
//
// Pure (no files): the same counts give the same plan on every machine, which is what lets
// each shard of a job array plan alone and all of them agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace krepis {

// Jobs [begin, end) of tenant `tenant` (an index into the counts), in name order.
struct ShardPart {
  std::size_t tenant = 0;
  std::uint32_t shard = 0;
  std::size_t begin = 0;
  std::size_t end = 0;
};

// The parts of every tenant (`jobs_per_tenant`, in the listing's order) over `shards`
// shards, as said above (among equally loaded shards, the lowest index). A tenant without
// jobs is one empty part too, so that some shard answers for its folder. Parts come by
// tenant, each tenant's in job order.
std::vector<ShardPart> balance_shards(const std::vector<std::size_t>& jobs_per_tenant,
                                      std::uint32_t shards);

// A plan's fingerprint: FNV-1a over what the plan was made from, 16 hex digits. Shards
// whose fingerprints differ were planned from different listings (or modes, or counts),
// and their summaries must not be merged.
class PlanFingerprint {
 public:
  explicit PlanFingerprint(std::string_view mode, std::uint32_t shards);
  void add(std::string_view name);
  std::string hex() const;

 private:
  std::uint64_t hash_;
};

}  // namespace krepis

// Splitting a batch across machines. By jobs (the default): planned from the whole listing
// so that shards hold about as many jobs each (shard_plan.h). By tenant: a tenant's jobs all
// go to the shard its name hashes to, whatever the listing, for folders that change between
// shard starts. The hash is stable across runs, machines and builds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace krepis {

enum class ShardBy { kJobs, kTenant };

struct Shard {
  std::uint32_t index = 0;  // 0-based
  std::uint32_t count = 1;
  ShardBy by = ShardBy::kJobs;
  // By tenant: whether this shard runs the tenant's jobs.
  bool takes(std::string_view tenant) const;
};

// "jobs" or "tenant", as --shard-by takes them.
std::string_view to_string(ShardBy by);

// FNV-1a, 64 bits: simple, stable, and spreads short ids well enough.
std::uint64_t stable_hash(std::string_view text);

// "I/N" with 0 <= I < N <= 100000; an error that says what is wrong otherwise.
Result<Shard> parse_shard(std::string_view text);

// --shard auto: a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (with `shards` from --shards),
// else a Slurm job array's SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (minus
// SLURM_ARRAY_TASK_MIN). `get_env` reads a variable (std::getenv in krepis; a map in tests).
template <class GetEnv>
Result<Shard> shard_from_environment(GetEnv get_env, std::optional<std::uint32_t> shards);

Result<Shard> shard_from_values(const char* k8s_index, std::optional<std::uint32_t> shards,
                                const char* slurm_id, const char* slurm_count,
                                const char* slurm_min);

template <class GetEnv>
Result<Shard> shard_from_environment(GetEnv get_env, std::optional<std::uint32_t> shards) {
  return shard_from_values(get_env("JOB_COMPLETION_INDEX"), shards, get_env("SLURM_ARRAY_TASK_ID"),
                           get_env("SLURM_ARRAY_TASK_COUNT"), get_env("SLURM_ARRAY_TASK_MIN"));
}

}  // namespace krepis

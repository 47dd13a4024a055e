#include "core/batch/shard.h"

#include <fmt/format.h>

#include <charconv>

namespace krepis {
namespace {

constexpr std::uint32_t kMaxShards = 100'000;

std::optional<std::uint32_t> number(std::string_view text) {
  std::uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

Result<Shard> checked(std::uint32_t index, std::uint32_t count, std::string_view source) {
  if (count == 0 || count > kMaxShards || index >= count) {
    return Error{
        fmt::format("{}: shard {} of {} is not valid: the index is 0-based and below the "
                    "count (1 to {})",
                    source, index, count, kMaxShards)};
  }
  return Shard{index, count};
}

}  // namespace

bool Shard::takes(std::string_view tenant) const { return stable_hash(tenant) % count == index; }

std::string_view to_string(ShardBy by) { return by == ShardBy::kJobs ? "jobs" : "tenant"; }

std::uint64_t stable_hash(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

Result<Shard> parse_shard(std::string_view text) {
  std::size_t slash = text.find('/');
  std::optional<std::uint32_t> index, count;
  if (slash != std::string_view::npos) {
    index = number(text.substr(0, slash));
    count = number(text.substr(slash + 1));
  }
  if (!index || !count) {
    return Error{fmt::format("--shard '{}': expected I/N (e.g. 0/4), or auto", text)};
  }
  return checked(*index, *count, "--shard");
}

Result<Shard> shard_from_values(const char* k8s_index, std::optional<std::uint32_t> shards,
                                const char* slurm_id, const char* slurm_count,
                                const char* slurm_min) {
  if (k8s_index != nullptr) {
    std::optional<std::uint32_t> index = number(k8s_index);
    if (!index) {
      return Error{fmt::format("JOB_COMPLETION_INDEX '{}' is not a number", k8s_index)};
    }
    if (!shards) {
      return Error{
          "--shard auto with JOB_COMPLETION_INDEX needs --shards N (the Job's completions)"};
    }
    return checked(*index, *shards, "JOB_COMPLETION_INDEX");
  }
  if (slurm_id != nullptr && slurm_count != nullptr) {
    std::optional<std::uint32_t> id = number(slurm_id), count = number(slurm_count);
    std::optional<std::uint32_t> min = slurm_min != nullptr ? number(slurm_min) : 0;
    if (!id || !count || !min || *id < *min) {
      return Error{fmt::format(
          "SLURM_ARRAY_TASK_ID '{}' / SLURM_ARRAY_TASK_COUNT '{}' / SLURM_ARRAY_TASK_MIN '{}' "
          "are not a shard",
          slurm_id, slurm_count, slurm_min != nullptr ? slurm_min : "0")};
    }
    if (shards && *shards != *count) {
      return Error{
          fmt::format("--shards {} disagrees with SLURM_ARRAY_TASK_COUNT {}", *shards, *count)};
    }
    return checked(*id - *min, *count, "SLURM_ARRAY_TASK_ID");
  }
  return Error{
      "--shard auto: neither JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) nor "
      "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job array) is set"};
}

}  // namespace krepis

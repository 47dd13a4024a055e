// The summary of a batch, or of several shards' JSON Lines merged: counts per status and per
// tenant, wall-time percentiles, throughput, pool figures.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/base/pool_figures.h"
#include "core/base/run_report.h"

namespace krepis {

struct BatchSummary {
  std::map<std::string, std::size_t> counts;                          // status -> jobs
  std::map<std::string, std::map<std::string, std::size_t>> tenants;  // tenant -> status -> jobs
  std::vector<double> wall_ms;  // of jobs that ran (not the denied)
  double elapsed_ms = 0;
  std::size_t workers = 0;
  std::size_t skipped_files = 0;
  std::size_t other_shards = 0;
  std::size_t not_started = 0;
  // Runs whose output the tier's cap cut (their reports say output_truncated).
  std::size_t output_truncated = 0;
  // Jobs left out because --resume's record already held their reports.
  std::size_t already_reported = 0;
  bool interrupted = false;
  PoolFigures pool;
  // Batches this summary covers: 1 for a batch; for merged output, the summaries merged
  // (start at 0 and merge_line counts them).
  std::size_t shards = 1;
  // A shard's: "2/8 by jobs" (empty for a batch that is not sharded), and its plan's
  // fingerprint (batch_plan.h). Merged shards keep the fingerprint they share; a summary
  // with another is kept in `other_plan`, and `summarize` refuses to merge it.
  std::string shard;
  std::string plan;
  std::string other_plan;
  // Merged: the shards seen ("2/8 by jobs"), and the first seen twice (its jobs would be
  // counted twice).
  std::set<std::string> shards_seen;
  std::string repeated_shard;
  int exit_status = 0;

  void add(const RunReport& report);
  std::size_t jobs() const;
  // Nearest-rank percentiles of wall_ms (0 when nothing ran), from one sort.
  struct Percentiles {
    double p50 = 0, p90 = 0, p99 = 0, max = 0;
  };
  Percentiles wall_percentiles() const;

  // The contract's {"summary": {...}} object.
  nlohmann::json to_json() const;
  // Folds in one line of a batch's --json output: a run's report or a shard's summary.
  // False when the line is neither.
  bool merge_line(const nlohmann::json& line);
};

}  // namespace krepis

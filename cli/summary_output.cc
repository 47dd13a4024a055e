#include "cli/summary_output.h"

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/table.h"
#include "cli/terminal.h"
#include "core/base/utf8.h"

namespace krepis::cli {
namespace {

std::size_t count_of(const std::map<std::string, std::size_t>& counts, RunStatus status) {
  auto found = counts.find(std::string(to_string(status)));
  return found == counts.end() ? 0 : found->second;
}

}  // namespace

std::string counted(std::size_t count, std::string_view noun, std::string_view plural) {
  if (count == 1) return fmt::format("1 {}", noun);
  return plural.empty() ? fmt::format("{} {}s", count, noun) : fmt::format("{} {}", count, plural);
}

void print_summary(const BatchSummary& summary, bool json) {
  if (json) {
    print_out("{}\n", summary.to_json().dump());
    std::fflush(stdout);
    return;
  }
  const double seconds = summary.elapsed_ms / 1000.0;
  // Report lines alone (`run --json`, or batches without their summary lines) carry no
  // elapsed time, workers or pool figures: those are not made up.
  const bool has_batch_figures = summary.shards > 0;
  std::string line =
      has_batch_figures
          ? fmt::format("\n{} in {:.2f} s ({:.1f} jobs/s) on {}", counted(summary.jobs(), "job"),
                        seconds, seconds > 0 ? static_cast<double>(summary.jobs()) / seconds : 0.0,
                        counted(summary.workers, "worker"))
          : fmt::format(
                "\n{} (report lines without a batch summary: no time, workers or "
                "pool figures)",
                counted(summary.jobs(), "run"));
  if (summary.shards > 1) {
    line += fmt::format(", {} shards merged", summary.shards);
    if (!summary.plan.empty()) line += fmt::format(" (plan {})", summary.plan);
  }
  if (!summary.shard.empty()) {
    line += fmt::format("; shard {}, plan {}", summary.shard, summary.plan);
  }
  if (summary.skipped_files > 0) {
    line += fmt::format("; {} skipped (not jobs)", counted(summary.skipped_files, "file"));
  }
  if (summary.already_reported > 0) {
    line += fmt::format("; {} reported before (--resume)",
                        counted(summary.already_reported, "job"));
  }
  if (summary.output_truncated > 0) {
    line += fmt::format("; {} cut at the output cap", counted(summary.output_truncated, "run"));
  }
  if (summary.interrupted) {
    // The status the process exits with, so that a person reading the log knows it too.
    line += fmt::format("; INTERRUPTED: {} not started (exit status {})",
                        counted(summary.not_started, "job"), summary.exit_status);
  }
  print_out("{}\n\n", line);

  std::vector<std::vector<std::string>> rows{{"TENANT", "JOBS"}};
  for (RunStatus status : kRunStatuses) rows[0].emplace_back(to_string(status));
  auto add_row = [&](const std::string& name, const std::map<std::string, std::size_t>& counts) {
    std::size_t total = 0;
    for (const auto& entry : counts) total += entry.second;
    std::vector<std::string> row{name, std::to_string(total)};
    for (RunStatus status : kRunStatuses) row.push_back(std::to_string(count_of(counts, status)));
    rows.push_back(std::move(row));
  };
  // Tenant names come from folder names and report lines: shown, never obeyed.
  for (const auto& [tenant, counts] : summary.tenants) add_row(one_line(tenant), counts);
  add_row("all", summary.counts);
  print_table(rows, 1);
  const BatchSummary::Percentiles wall = summary.wall_percentiles();
  print_out("\nwall  p50 {:.1f} ms  p90 {:.1f} ms  p99 {:.1f} ms  max {:.1f} ms\n", wall.p50,
            wall.p90, wall.p99, wall.max);
  const PoolFigures& pool = summary.pool;
  if (has_batch_figures) {
    print_out(
        "pool  {} warm hits, {} cold starts, {} evictions, {} idle disposals, {} retirements, "
        "{} replacements; {} isolates alive at the end; {} worker processes started\n",
        pool.hits, pool.cold_starts, pool.evictions, pool.idle_disposals, pool.retirements,
        pool.replacements, pool.alive, pool.worker_starts);
  }
  std::fflush(stdout);
}

}  // namespace krepis::cli

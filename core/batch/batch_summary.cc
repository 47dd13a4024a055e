#include "core/batch/batch_summary.h"

#include <algorithm>
#include <cmath>

#include "core/base/report.h"

namespace krepis {
namespace {

// The summary's "pool" object: the figures report_schema.h shows outside the wire.
nlohmann::json pool_json(const PoolFigures& figures) {
  nlohmann::json pool = nlohmann::json::object();
  visit_pool_figures(figures, [&](const ReportField& field, std::size_t value) {
    if (field.shown == ReportField::Shown::kAlways) pool[std::string(field.name)] = value;
  });
  return pool;
}

void count(BatchSummary& summary, const std::string& tenant, const RunReport& report) {
  const std::string name(to_string(report.status));
  ++summary.counts[name];
  ++summary.tenants[tenant][name];
  if (report.status != RunStatus::kDenied) summary.wall_ms.push_back(report.wall_ms);
  if (report.output_truncated) ++summary.output_truncated;
  summary.exit_status = combine_exit_status(summary.exit_status, exit_status_for(report.status));
}

}  // namespace

void BatchSummary::add(const RunReport& report) {
  count(*this, report.tenant, report);
}

std::size_t BatchSummary::jobs() const {
  std::size_t total = 0;
  for (const auto& [status, n] : counts) total += n;
  return total;
}

BatchSummary::Percentiles BatchSummary::wall_percentiles() const {
  if (wall_ms.empty()) return {};
  std::vector<double> sorted = wall_ms;
  std::sort(sorted.begin(), sorted.end());
  auto rank = [&](double p) {
    auto n = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(n, 1, sorted.size()) - 1];
  };
  return {rank(50), rank(90), rank(99), sorted.back()};
}

nlohmann::json BatchSummary::to_json() const {
  const Percentiles wall = wall_percentiles();
  nlohmann::json statuses = nlohmann::json::object();
  for (RunStatus status : kRunStatuses) {
    auto found = counts.find(std::string(to_string(status)));
    statuses[std::string(to_string(status))] = found == counts.end() ? 0 : found->second;
  }
  const double seconds = elapsed_ms / 1000.0;
  return {
      {"summary",
       {{"jobs", jobs()},
        {"counts", statuses},
        {"tenants", tenants},
        {"wall_ms", {{"p50", wall.p50}, {"p90", wall.p90}, {"p99", wall.p99}, {"max", wall.max}}},
        {"elapsed_ms", elapsed_ms},
        {"jobs_per_s", seconds > 0 ? static_cast<double>(jobs()) / seconds : 0.0},
        {"workers", workers},
        {"skipped_files", skipped_files},
        {"other_shards", other_shards},
        {"not_started", not_started},
        {"output_truncated", output_truncated},
        {"already_reported", already_reported},
        {"interrupted", interrupted},
        {"shards", shards},
        {"shard", shard},
        {"plan", plan},
        {"exit_status", exit_status},
        {"pool", pool_json(pool)}}}};
}

bool BatchSummary::merge_line(const nlohmann::json& line) {
  if (!line.is_object()) return false;
  if (line.contains("summary") && line["summary"].is_object()) {
    const nlohmann::json& other = line["summary"];
    // Shards run side by side: the merged batch took as long as the slowest.
    elapsed_ms = std::max(elapsed_ms, other.value("elapsed_ms", 0.0));
    workers += other.value("workers", std::size_t{0});
    skipped_files += other.value("skipped_files", std::size_t{0});
    not_started += other.value("not_started", std::size_t{0});
    interrupted = interrupted || other.value("interrupted", false);
    shards += other.value("shards", std::size_t{1});
    // Shards planned from different listings (or modes, or counts) ran some jobs twice and
    // others never: the first fingerprint seen is the batch's, any other is a mismatch.
    // Whole batches (not sharded) may be merged whatever their folders held.
    const std::string their_shard = other.value("shard", std::string());
    const std::string their_plan = other.value("plan", std::string());
    if (!their_shard.empty()) {
      if (!shards_seen.insert(their_shard).second && repeated_shard.empty()) {
        repeated_shard = their_shard;
      }
      if (plan.empty()) {
        plan = their_plan;
      } else if (!their_plan.empty() && their_plan != plan && other_plan.empty()) {
        other_plan = their_plan;
      }
    }
    exit_status = combine_exit_status(exit_status, other.value("exit_status", 0));
    if (other.contains("pool") && other["pool"].is_object()) {
      const nlohmann::json& figures = other["pool"];
      visit_pool_figures(pool, [&](const ReportField& field, std::size_t& sum) {
        auto found = figures.find(field.name);
        if (found != figures.end() && found->is_number_unsigned()) {
          sum += found->get<std::size_t>();
        }
      });
    }
    return true;
  }
  std::optional<RunReport> report = report_from_json(line);
  if (!report) return false;
  static const std::string kNoTenant = "?";
  count(*this, report->tenant.empty() ? kNoTenant : report->tenant, *report);
  return true;
}

}  // namespace krepis

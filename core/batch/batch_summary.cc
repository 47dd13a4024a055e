#include "core/batch/batch_summary.h"

#include <algorithm>
#include <cmath>

namespace krepis {
namespace {

std::optional<RunStatus> parse_status(const std::string& text) {
  for (RunStatus status : {RunStatus::kOk, RunStatus::kError, RunStatus::kTimeout, RunStatus::kOom,
                           RunStatus::kDenied, RunStatus::kCrashed}) {
    if (to_string(status) == text) return status;
  }
  return std::nullopt;
}

void count(BatchSummary& summary, const std::string& tenant, RunStatus status, double wall_ms) {
  const std::string name(to_string(status));
  ++summary.counts[name];
  ++summary.tenants[tenant][name];
  if (status != RunStatus::kDenied) summary.wall_ms.push_back(wall_ms);
  summary.exit_status = combine_exit_status(summary.exit_status, exit_status_for(status));
}

}  // namespace

void BatchSummary::add(const RunReport& report) {
  count(*this, report.tenant, report.status, report.wall_ms);
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
  for (RunStatus status : {RunStatus::kOk, RunStatus::kError, RunStatus::kTimeout, RunStatus::kOom,
                           RunStatus::kDenied, RunStatus::kCrashed}) {
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
        {"interrupted", interrupted},
        {"shards", shards},
        {"exit_status", exit_status},
        {"pool",
         {{"hits", pool.hits},
          {"misses", pool.cold_starts},
          {"evictions", pool.evictions},
          {"idle_disposals", pool.idle_disposals},
          {"retirements", pool.retirements},
          {"replacements", pool.replacements},
          {"alive", pool.alive}}}}}};
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
    exit_status = combine_exit_status(exit_status, other.value("exit_status", 0));
    if (other.contains("pool") && other["pool"].is_object()) {
      const nlohmann::json& figures = other["pool"];
      pool.hits += figures.value("hits", std::size_t{0});
      pool.cold_starts += figures.value("misses", std::size_t{0});
      pool.evictions += figures.value("evictions", std::size_t{0});
      pool.idle_disposals += figures.value("idle_disposals", std::size_t{0});
      pool.retirements += figures.value("retirements", std::size_t{0});
      pool.replacements += figures.value("replacements", std::size_t{0});
      pool.alive += figures.value("alive", std::size_t{0});
    }
    return true;
  }
  if (!line.contains("status") || !line["status"].is_string()) return false;
  std::optional<RunStatus> status = parse_status(line["status"]);
  if (!status) return false;
  count(*this, line.value("tenant", std::string("?")), *status, line.value("wall_ms", 0.0));
  return true;
}

}  // namespace krepis

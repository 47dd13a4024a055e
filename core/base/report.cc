#include "core/base/report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace krepis {

std::string json_line(const RunReport& report) {
  nlohmann::ordered_json line = {
      {"tenant", report.tenant},
      {"script", report.script},
      {"status", to_string(report.status)},
      {"wall_ms", report.wall_ms},
      {"cpu_ms", report.cpu_ms},
      {"heap_used_bytes", report.heap_used_bytes},
      {"heap_peak_bytes", report.heap_peak_bytes},
      {"heap_cap_bytes", report.heap_cap_bytes},
      {"external_bytes", report.external_bytes},
      {"isolate", report.warm ? "warm" : "cold"},
  };
  if (report.error) line["error"] = *report.error;
  // The contract has stopped_by for timeout and oom only.
  if (report.stopped_by != StopReason::kNone && report.status != RunStatus::kError) {
    line["stopped_by"] = to_string(report.stopped_by);
  }
  if (!report.output.empty()) line["output"] = report.output;
  // Invalid UTF-8 cannot reach here (V8 replaces lone surrogates), but a report line must
  // never fail to print: replace rather than throw.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (report.result_json) {
    // The result is JSON text as V8's JSON.stringify wrote it; spliced in as it is, because
    // re-parsing would cost time and reject the lone-surrogate escapes JSON.stringify emits.
    text.insert(text.size() - 1, ",\"result\":" + *report.result_json);
  }
  return text;
}

std::string human_bytes(std::size_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string usage_line(const RunReport& report) {
  std::string line =
      fmt::format("{:<7} {}  {}", to_string(report.status), report.script, report.tenant);
  if (report.status == RunStatus::kDenied) return line;
  line += fmt::format("  wall {:.1f} ms  cpu {:.1f} ms  heap {} peak / {} cap  ext {}  {}",
                      report.wall_ms, report.cpu_ms, human_bytes(report.heap_peak_bytes),
                      human_bytes(report.heap_cap_bytes), human_bytes(report.external_bytes),
                      report.warm ? "warm" : "cold");
  return line;
}

}  // namespace krepis

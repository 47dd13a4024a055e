// What one run logged: kept for the report, capped so a script cannot grow the runner's
// memory by logging, and optionally shown live as it happens.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace krepis {

enum class LogLevel { kLog, kInfo, kWarn, kError, kDebug };

// "log", "info", "warn", "error", "debug": a report's output_levels.
const char* to_string(LogLevel level);

// Receives each logged entry as it happens (human mode prints it). Called on the run's
// thread, inside a V8 callback: it must not throw.
using LiveOutput = std::function<void(LogLevel, std::string_view)>;

struct OutputCaps {
  std::size_t max_bytes = 1024 * 1024;
  std::size_t max_lines = 10'000;
};

class RunOutput {
 public:
  explicit RunOutput(const LiveOutput* live = nullptr, OutputCaps caps = {})
      : live_(live), caps_(caps) {}

  // False once the cap is reached: callers skip formatting what would be dropped anyway.
  bool accepting() const { return dropped_ == 0; }
  // Something was dropped: the report says output_truncated.
  bool truncated() const { return dropped_ > 0; }
  void add(LogLevel level, std::string entry);
  // Counts an entry that was not even formatted because the cap was reached.
  void drop() { ++dropped_; }
  // The entries, with a last one saying how many were dropped, if any.
  std::vector<std::string> take();
  // The level of each entry take() gave, by name (its last, the note of dropped ones, "warn").
  std::vector<std::string> take_levels();

 private:
  const LiveOutput* live_;
  OutputCaps caps_;
  std::vector<std::string> entries_;
  std::vector<std::string> levels_;
  std::size_t bytes_ = 0;
  std::size_t lines_ = 0;
  std::size_t dropped_ = 0;
};

}  // namespace krepis

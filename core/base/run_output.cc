#include "core/base/run_output.h"

#include <fmt/format.h>

#include <algorithm>

namespace krepis {

void RunOutput::add(LogLevel level, std::string entry) {
  std::size_t lines = 1 + std::count(entry.begin(), entry.end(), '\n');
  if (!accepting() || bytes_ + entry.size() > caps_.max_bytes || lines_ + lines > caps_.max_lines) {
    if (accepting() && live_ != nullptr && *live_) {
      (*live_)(LogLevel::kWarn, "[krepis: output cap reached; further output is dropped]");
    }
    ++dropped_;
    return;
  }
  bytes_ += entry.size();
  lines_ += lines;
  if (live_ != nullptr && *live_) (*live_)(level, entry);
  entries_.push_back(std::move(entry));
  levels_.push_back(to_string(level));
}

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kLog: return "log";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kDebug: return "debug";
  }
  return "log";
}

std::vector<std::string> RunOutput::take_levels() { return std::move(levels_); }

std::vector<std::string> RunOutput::take() {
  if (dropped_ > 0) {
    entries_.push_back(fmt::format(
        "[krepis: output truncated: {} more entr{} dropped past the cap of {} lines / {} bytes]",
        dropped_, dropped_ == 1 ? "y" : "ies", caps_.max_lines, caps_.max_bytes));
    levels_.push_back(to_string(LogLevel::kWarn));
  }
  return std::move(entries_);
}

}  // namespace krepis

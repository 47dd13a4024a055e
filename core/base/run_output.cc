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
}

std::vector<std::string> RunOutput::take() {
  if (dropped_ > 0) {
    entries_.push_back(fmt::format(
        "[krepis: output truncated: {} more entr{} dropped past the cap of {} lines / {} bytes]",
        dropped_, dropped_ == 1 ? "y" : "ies", caps_.max_lines, caps_.max_bytes));
  }
  return std::move(entries_);
}

}  // namespace krepis

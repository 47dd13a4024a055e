#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace krepis::cli {

Progress::Progress(std::size_t total, bool json)
    : enabled_(!json && ::isatty(STDERR_FILENO) == 1 && std::getenv("CI") == nullptr && total > 0),
      total_(total) {}

void Progress::update(std::size_t done, std::size_t failed) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
  fmt::print(stderr, "\r\x1b[K[{}/{}] {:.0f} jobs/s  ETA {:.0f} s  {} failed", done, total_, rate,
             eta, failed);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::clear() {
  if (!drawn_) return;
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace krepis::cli

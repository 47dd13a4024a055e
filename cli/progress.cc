#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace krepis::cli {

namespace {

bool terminal_draws_it() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDERR_FILENO) == 1 && std::getenv("CI") == nullptr &&
         (term == nullptr || std::string_view(term) != "dumb");
}

}  // namespace

Progress::Progress(std::size_t total, bool wanted)
    : enabled_(wanted && total > 0 && terminal_draws_it()), total_(total) {}

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

// A live progress line on stderr, for people: done/total, rate, ETA, failures so far. Only
// when stderr is a terminal that understands it (not TERM=dumb), whatever stdout is (a file
// of --json lines too); never in pipes or CI logs.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace krepis::cli {

class Progress {
 public:
  // wanted: false for --quiet.
  Progress(std::size_t total, bool wanted);
  bool enabled() const { return enabled_; }
  // A job finished; redraws at most every 100 ms.
  void update(std::size_t done, std::size_t failed);
  // Erases the line, so other output can be printed; the next update draws it again.
  void clear();

 private:
  bool enabled_;
  std::size_t total_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace krepis::cli

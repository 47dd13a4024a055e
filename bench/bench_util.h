// What the bench programs share: timing, the process's RSS, and their JSON output.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double micros(Clock::time_point since) {
  return std::chrono::duration<double, std::micro>(Clock::now() - since).count();
}

// Resident set size of this process now, in KiB.
inline long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

inline void print_samples(const std::vector<double>& samples) {
  std::printf("{\"samples_us\": [");
  for (std::size_t i = 0; i < samples.size(); ++i) std::printf(i ? ",%.2f" : "%.2f", samples[i]);
  std::printf("]}\n");
}

}  // namespace bench

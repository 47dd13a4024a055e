// CPU time of the calling thread: what a run costs, apart from time spent waiting.
#pragma once

#include <time.h>

namespace krepis {

inline double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace krepis

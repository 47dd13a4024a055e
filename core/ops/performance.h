// `performance.now()` and `performance.timeOrigin` in every run (High Resolution Time), made
// on first use: milliseconds since the run began, and the wall-clock time it began at. Both
// are coarsened to 0.1 ms, no finer than console.time (docs/THREAT-MODEL.md).
#pragma once

#include <v8-context.h>

namespace krepis {

struct OpHost;

// The resolution of both, in milliseconds.
inline constexpr double kPerformanceResolutionMs = 0.1;

bool install_performance_global(v8::Local<v8::Context> context, OpHost& host);

}  // namespace krepis

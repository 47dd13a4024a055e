// `performance.now()` and `performance.timeOrigin` in every run (High Resolution Time), made
// on first use: milliseconds since the run began, and the wall-clock time it began at. Both
// are coarsened to 0.1 ms, no finer than console.time (docs/THREAT-MODEL.md).
#pragma once

#include <v8-context.h>
#include <v8-external.h>

namespace krepis {

struct OpHost;

// The resolution of both, in milliseconds.
inline constexpr double kPerformanceResolutionMs = 0.1;

// `host`: the sandbox's OpHost, wrapped once per context for all the lazy globals' getters.
bool install_performance_global(v8::Local<v8::Context> context, v8::Local<v8::External> host);

}  // namespace krepis

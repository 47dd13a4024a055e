// The resource limits of one run, and the bounds within which the runner accepts them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace krepis {

inline constexpr std::size_t kMiB = 1024 * 1024;

struct Limits {
  // Caps the V8 heap plus ArrayBuffer/WebAssembly memory of one isolate.
  std::size_t heap_bytes = 128 * kMiB;
  // Wall-clock time one run may take, context creation included.
  std::chrono::milliseconds deadline{100};
};

// V8 does not honour very small heaps (it needs a few MiB for a context before any script
// runs), and a cap beyond a few GiB is no longer a cap on a shared machine.
inline constexpr std::int64_t kMinHeapMb = 16;
inline constexpr std::int64_t kMaxHeapMb = 8192;
// A zero deadline could never run anything; an hour is far past any sandboxed job's need.
inline constexpr std::int64_t kMinDeadlineMs = 1;
inline constexpr std::int64_t kMaxDeadlineMs = 3'600'000;

// Each returns an error message naming the bound, or nothing when the value is acceptable.
std::optional<std::string> check_heap_mb(std::int64_t mb);
std::optional<std::string> check_deadline_ms(std::int64_t ms);

}  // namespace krepis

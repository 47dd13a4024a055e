#include "core/base/limits.h"

#include <fmt/format.h>

namespace krepis {

std::optional<std::string> check_heap_mb(std::int64_t mb) {
  if (mb >= kMinHeapMb && mb <= kMaxHeapMb) return std::nullopt;
  return fmt::format("heap cap {} MB is out of range: it must be between {} and {} MB", mb,
                     kMinHeapMb, kMaxHeapMb);
}

std::optional<std::string> check_deadline_ms(std::int64_t ms) {
  if (ms >= kMinDeadlineMs && ms <= kMaxDeadlineMs) return std::nullopt;
  return fmt::format("deadline {} ms is out of range: it must be between {} and {} ms", ms,
                     kMinDeadlineMs, kMaxDeadlineMs);
}

}  // namespace krepis

// The ArrayBuffer allocator of one isolate. It counts the bytes behind every ArrayBuffer,
// typed array and WebAssembly memory the isolate allocates through it and refuses any that
// would take the total past the cap, so external memory cannot grow the process past the
// tenant's limit (V8's own heap limit does not see these bytes).
#pragma once

#include <v8-array-buffer.h>

#include <atomic>
#include <cstddef>
#include <functional>

namespace krepis {

class CappedAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  // on_refusal runs (on the allocating thread) each time a request is refused. It must only
  // set flags: it runs inside V8.
  CappedAllocator(std::size_t cap_bytes, std::function<void()> on_refusal);

  void* Allocate(std::size_t length) override;
  void* AllocateUninitialized(std::size_t length) override;
  void Free(void* data, std::size_t length) override;

  // Bytes krepis itself holds outside V8 for the isolate's run (its timers), counted as
  // buffers are: charge() refuses past the cap, as Allocate does (on_refusal runs).
  bool charge(std::size_t length) noexcept { return reserve(length); }
  void discharge(std::size_t length) noexcept {
    in_use_.fetch_sub(length, std::memory_order_relaxed);
  }

  std::size_t cap() const noexcept { return cap_; }
  std::size_t in_use() const noexcept { return in_use_.load(std::memory_order_relaxed); }
  // The highest in_use() since the last reset_peak().
  std::size_t peak() const noexcept { return peak_.load(std::memory_order_relaxed); }
  void reset_peak() noexcept { peak_.store(in_use(), std::memory_order_relaxed); }

 private:
  // Reserves length bytes of the budget; false when that would pass the cap.
  bool reserve(std::size_t length) noexcept;

  const std::size_t cap_;
  const std::function<void()> on_refusal_;
  std::atomic<std::size_t> in_use_{0};
  std::atomic<std::size_t> peak_{0};
};

}  // namespace krepis

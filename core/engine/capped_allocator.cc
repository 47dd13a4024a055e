#include "core/engine/capped_allocator.h"

#include <cstdlib>
#include <utility>

namespace krepis {

CappedAllocator::CappedAllocator(std::size_t cap_bytes, std::function<void()> on_refusal)
    : cap_(cap_bytes), on_refusal_(std::move(on_refusal)) {}

bool CappedAllocator::reserve(std::size_t length) noexcept {
  std::size_t current = in_use_.load(std::memory_order_relaxed);
  do {
    if (length > cap_ - current) {
      if (on_refusal_) on_refusal_();
      return false;
    }
  } while (!in_use_.compare_exchange_weak(current, current + length, std::memory_order_relaxed));
  std::size_t now = current + length;
  std::size_t peak = peak_.load(std::memory_order_relaxed);
  while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return true;
}

void* CappedAllocator::Allocate(std::size_t length) {
  if (!reserve(length)) return nullptr;
  // calloc: V8 requires zeroed memory here. A zero-length buffer still needs a unique pointer.
  void* data = std::calloc(length == 0 ? 1 : length, 1);
  if (data == nullptr) in_use_.fetch_sub(length, std::memory_order_relaxed);
  return data;
}

void* CappedAllocator::AllocateUninitialized(std::size_t length) {
  if (!reserve(length)) return nullptr;
  void* data = std::malloc(length == 0 ? 1 : length);
  if (data == nullptr) in_use_.fetch_sub(length, std::memory_order_relaxed);
  return data;
}

void CappedAllocator::Free(void* data, std::size_t length) {
  std::free(data);
  in_use_.fetch_sub(length, std::memory_order_relaxed);
}

}  // namespace krepis

#include "core/engine/capped_allocator.h"

#include <doctest/doctest.h>

namespace krepis {
namespace {

TEST_CASE("the allocator refuses bytes past its cap and counts what it hands out") {
  int refusals = 0;
  CappedAllocator allocator(1000, [&] { ++refusals; });
  void* a = allocator.Allocate(600);
  REQUIRE(a != nullptr);
  CHECK(static_cast<unsigned char*>(a)[599] == 0);  // zeroed, as V8 requires
  CHECK(allocator.in_use() == 600);
  CHECK(allocator.AllocateUninitialized(401) == nullptr);
  CHECK(refusals == 1);
  void* b = allocator.AllocateUninitialized(400);
  REQUIRE(b != nullptr);
  CHECK(allocator.in_use() == 1000);
  CHECK(allocator.peak() == 1000);
  allocator.Free(a, 600);
  allocator.Free(b, 400);
  CHECK(allocator.in_use() == 0);
  CHECK(allocator.peak() == 1000);
  allocator.reset_peak();
  CHECK(allocator.peak() == 0);
}

TEST_CASE("a request larger than the whole cap is refused without overflow") {
  CappedAllocator allocator(1 << 20, {});
  CHECK(allocator.Allocate(SIZE_MAX) == nullptr);
  CHECK(allocator.Allocate(std::size_t{1} << 31) == nullptr);
  CHECK(allocator.in_use() == 0);
}

TEST_CASE("zero-length buffers get distinct memory and cost nothing") {
  CappedAllocator allocator(16, {});
  void* a = allocator.Allocate(0);
  CHECK(a != nullptr);
  CHECK(allocator.in_use() == 0);
  allocator.Free(a, 0);
}

}  // namespace
}  // namespace krepis

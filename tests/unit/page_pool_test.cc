#include "core/engine/page_pool.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace krepis {
namespace {

constexpr std::size_t kChunk = PagePool::kChunkBytes;
constexpr std::size_t kMiB = 1 << 20;

bool all_zero(const void* memory, std::size_t length) {
  const auto* bytes = static_cast<const unsigned char*>(memory);
  for (std::size_t i = 0; i < length; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

// As V8 10.2 asks for a regular heap page: inaccessible, then committed read-write.
void* heap_chunk(PagePool& pool) {
  void* chunk = pool.AllocatePages(nullptr, kChunk, kChunk, v8::PageAllocator::kNoAccess);
  REQUIRE(chunk != nullptr);
  CHECK(reinterpret_cast<std::uintptr_t>(chunk) % kChunk == 0);
  REQUIRE(pool.SetPermissions(chunk, kChunk, v8::PageAllocator::kReadWrite));
  return chunk;
}

TEST_CASE("a freed heap chunk is handed out again, zeroed, with what another tenant wrote gone") {
  PagePool pool(4 * kMiB, 1 * kMiB);
  void* chunk = heap_chunk(pool);
  std::memset(chunk, 0xa5, kChunk);
  REQUIRE(pool.FreePages(chunk, kChunk));
  CHECK(pool.figures().kept == 1);
  CHECK(pool.figures().pool_bytes == kChunk);
  void* again = heap_chunk(pool);
  CHECK(again == chunk);
  CHECK(pool.figures().reused == 1);
  CHECK(all_zero(again, kChunk));
  REQUIRE(pool.FreePages(again, kChunk));
}

TEST_CASE("the pool keeps no more than its bound, and gives it all back when asked") {
  PagePool pool(2 * kMiB, 0);
  std::vector<void*> chunks;
  for (int i = 0; i < 12; ++i) chunks.push_back(heap_chunk(pool));
  for (void* chunk : chunks) REQUIRE(pool.FreePages(chunk, kChunk));
  PagePool::Figures figures = pool.figures();
  CHECK(figures.kept == 8);
  CHECK(figures.unmapped == 4);
  CHECK(figures.pool_bytes == 2 * kMiB);
  pool.give_back();
  CHECK(pool.figures().pool_bytes == 0);
}

TEST_CASE("an uncommitted chunk reads as zero when committed again") {
  PagePool pool(4 * kMiB, 0);
  void* chunk = heap_chunk(pool);
  // A fresh chunk's first uncommit gives it back, as V8's own allocator does.
  std::memset(chunk, 0x5a, kChunk);
  REQUIRE(pool.SetPermissions(chunk, kChunk, v8::PageAllocator::kNoAccess));
  CHECK(pool.figures().parked == 0);
  REQUIRE(pool.SetPermissions(chunk, kChunk, v8::PageAllocator::kReadWrite));
  CHECK(all_zero(chunk, kChunk));
  // From the second on it is kept resident, zeroed.
  std::memset(chunk, 0x5a, kChunk);
  REQUIRE(pool.SetPermissions(chunk, kChunk, v8::PageAllocator::kNoAccess));
  CHECK(pool.figures().parked == 1);
  CHECK(pool.figures().pool_bytes == kChunk);
  REQUIRE(pool.SetPermissions(chunk, kChunk, v8::PageAllocator::kReadWrite));
  CHECK(pool.figures().pool_bytes == 0);
  CHECK(all_zero(chunk, kChunk));
  // Uncommitted again and freed while so: kept, and zero when reused.
  std::memset(chunk, 0x5a, kChunk);
  REQUIRE(pool.SetPermissions(chunk, kChunk, v8::PageAllocator::kNoAccess));
  REQUIRE(pool.FreePages(chunk, kChunk));
  void* again = heap_chunk(pool);
  CHECK(all_zero(again, kChunk));
  REQUIRE(pool.FreePages(again, kChunk));
}

TEST_CASE("discarded pages left alone are counted, bounded, and zeroed with their chunk") {
  PagePool pool(4 * kMiB, 64 * 1024);
  void* chunk = heap_chunk(pool);
  char* bytes = static_cast<char*>(chunk);
  std::memset(chunk, 0x33, kChunk);
  // 32 KiB left alone, then the next 64 KiB past the bound: given back (zero) at once.
  REQUIRE(pool.DiscardSystemPages(bytes + 4096, 32 * 1024));
  CHECK(pool.figures().discard_bytes == 32 * 1024);
  REQUIRE(pool.DiscardSystemPages(bytes + 64 * 1024, 64 * 1024));
  CHECK(pool.figures().discard_bytes == 32 * 1024);
  CHECK(all_zero(bytes + 64 * 1024, 64 * 1024));
  REQUIRE(pool.FreePages(chunk, kChunk));
  CHECK(pool.figures().discard_bytes == 0);
  void* again = heap_chunk(pool);
  CHECK(all_zero(again, kChunk));
  // While memory is being reduced, discards are given back at once.
  std::memset(again, 0x33, kChunk);
  pool.begin_reducing();
  REQUIRE(pool.DiscardSystemPages(static_cast<char*>(again) + 4096, 8192));
  pool.end_reducing();
  CHECK(pool.figures().discard_bytes == 0);
  CHECK(all_zero(static_cast<char*>(again) + 4096, 8192));
  REQUIRE(pool.FreePages(again, kChunk));
}

TEST_CASE("other sizes and shrunk chunks are mapped and unmapped and never kept, and a big range walks the chunks out") {
  PagePool pool(4 * kMiB, 0);
  void* big = pool.AllocatePages(nullptr, 4 * kChunk, kChunk, v8::PageAllocator::kReadWrite);
  REQUIRE(big != nullptr);
  CHECK(reinterpret_cast<std::uintptr_t>(big) % kChunk == 0);
  std::memset(big, 1, 4 * kChunk);
  REQUIRE(pool.FreePages(big, 4 * kChunk));
  // A reservation of many chunks (as for a WebAssembly memory), committed in part, while a
  // heap chunk is out.
  void* out = heap_chunk(pool);
  void* reserved = pool.AllocatePages(nullptr, 64 * kMiB, 64 * 1024, v8::PageAllocator::kNoAccess);
  REQUIRE(reserved != nullptr);
  REQUIRE(pool.SetPermissions(reserved, kMiB, v8::PageAllocator::kReadWrite));
  std::memset(reserved, 1, kMiB);
  REQUIRE(pool.DiscardSystemPages(reserved, kMiB));
  CHECK(all_zero(reserved, kMiB));
  REQUIRE(pool.FreePages(reserved, 64 * kMiB));
  REQUIRE(pool.FreePages(out, kChunk));
  CHECK(pool.figures().kept == 1);
  void* again = heap_chunk(pool);
  REQUIRE(pool.FreePages(again, kChunk));
  void* chunk = heap_chunk(pool);
  REQUIRE(pool.ReleasePages(chunk, kChunk, 8192));
  REQUIRE(pool.FreePages(chunk, 8192));
  // The two whole heap chunks above were kept; the shrunk one (the same memory, reused) not.
  CHECK(pool.figures().kept == 2);
  CHECK(pool.figures().pool_bytes == 0);
}

}  // namespace
}  // namespace krepis

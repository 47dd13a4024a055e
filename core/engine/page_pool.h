// V8's page allocator for this process: the heap's memory comes from here (V8 10.2 without
// pointer compression takes it from Platform::GetPageAllocator()). It maps, protects and
// unmaps as V8's own allocator does on Linux, except that it keeps some of the memory V8
// gives back, resident, so that the next contexts do not fault it in again (a fault per
// 4 KiB, ~3 µs on the reference VM; writing zeros over a resident page costs ~0.1 µs):
//
//  - a regular heap page (one 256 KiB chunk, aligned to its size) that V8 frees is kept, up
//    to pool_bytes in all, and handed out again the next time V8 asks for such a chunk;
//  - a whole chunk V8 makes inaccessible (the unmapper uncommitting a page it pools itself)
//    is zeroed and kept resident instead of given back, within the same pool_bytes (not the
//    first time: a fresh chunk's untouched pages would cost a fault each to zero);
//  - system pages V8 asks to discard (free space in live pages after a memory-reducing GC:
//    DiscardSystemPages is a hint) are left alone, up to discard_bytes in all until their
//    chunk is freed; past that they are given back as V8 would.
//
// Zeroing: a kept chunk's memory (another tenant's objects: a worker process hosts several
// tenants' isolates) is overwritten with zeros, or given back to the system, before it is
// kept, so no tenant's data outlives its chunk in the pool, and a reused chunk reads as a
// fresh mapping would. Pages left alone after a discard stay with the chunk (of the same
// isolate, so the same tenant) and are zeroed with it when it is freed.
//
// Memory: beyond what V8 itself counts as committed, the process holds at most
// pool_bytes + discard_bytes resident here (16 + 8 MiB: core/engine/engine.cc).
//
// Thread-safe: V8 frees and uncommits pages from its background unmapper threads too.
#pragma once

#include <v8-platform.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

namespace krepis {

class PagePool final : public v8::PageAllocator {
 public:
  // V8's regular heap page (MemoryChunk::kPageSize, also its alignment) in V8 10.2.
  static constexpr std::size_t kChunkBytes = 256 * 1024;

  PagePool(std::size_t pool_bytes, std::size_t discard_bytes);
  ~PagePool() override;
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;

  std::size_t AllocatePageSize() override { return page_size_; }
  std::size_t CommitPageSize() override { return page_size_; }
  void SetRandomMmapSeed(std::int64_t seed) override;
  void* GetRandomMmapAddr() override;
  void* AllocatePages(void* hint, std::size_t length, std::size_t alignment,
                      Permission permissions) override;
  bool FreePages(void* address, std::size_t length) override;
  bool ReleasePages(void* address, std::size_t length, std::size_t new_length) override;
  bool SetPermissions(void* address, std::size_t length, Permission permissions) override;
  bool DiscardSystemPages(void* address, std::size_t length) override;
  bool DecommitPages(void* address, std::size_t length) override;

  // While any caller is between these two, discards are given back at once (a GC meant to
  // give memory back, for an idle isolate).
  void begin_reducing() { reducing_.fetch_add(1); }
  void end_reducing() { reducing_.fetch_sub(1); }

  // Gives back to the system every kept chunk, free or uncommitted (for an idle process).
  // Pages left alone after a discard stay until their chunk is freed (V8 may have written
  // to them since).
  void give_back();

  struct Figures {
    std::uint64_t reused = 0;         // chunks handed out from the pool
    std::uint64_t kept = 0;           // freed chunks the pool kept
    std::uint64_t unmapped = 0;       // freed chunks given back (pool full, or not whole)
    std::uint64_t parked = 0;         // uncommitted chunks kept resident
    std::uint64_t discards_kept = 0;  // system pages left alone after a discard
    std::size_t pool_bytes = 0;       // held now: free and uncommitted chunks
    std::size_t discard_bytes = 0;    // held now: pages left alone after a discard
  };
  Figures figures();

 private:
  // What the pool knows of a chunk it handed out. Bit i of a mask is system page i.
  struct Chunk {
    std::uint64_t dropped = 0;  // given back since handed out: zero until written again
    std::uint64_t held = 0;     // V8 asked to discard them; left alone (counted)
    bool writable = false;      // the whole chunk is read-write
    bool parked = false;        // V8 uncommitted it; kept resident and zero (counted)
    bool parking = false;       // being zeroed and protected for that, outside the mutex
    // Mapped anew and neither freed nor uncommitted since: which of its pages V8 touched is
    // unknown (which pages are resident is for mincore to say, and the worker's system-call
    // filter does not allow it), so it is zeroed by giving all of it back. Zeroing an
    // untouched page by writing costs its fault: a short-lived isolate would pay for pages it
    // never used. A chunk reused from the pool is taken as touched throughout.
    bool fresh = false;
  };

  static bool is_chunk(void* address, std::size_t length);
  void* map_fresh(void* hint, std::size_t length, std::size_t alignment, Permission permissions);
  // The mask of the chunk at base's system pages that lie wholly in [begin, end).
  std::uint64_t pages_within(std::uintptr_t base, std::uintptr_t begin, std::uintptr_t end) const;
  // Gives back [address, address + length) (MADV_DONTNEED) and notes it in the chunks there.
  void drop(void* address, std::size_t length);
  // Under the mutex: stops counting what the chunk holds.
  void uncount(Chunk& chunk);
  // Under the mutex: visit(base, chunk) for each chunk handed out that overlaps [begin, end),
  // erasing it when visit returns true.
  template <typename Visit>
  void each_chunk(std::uintptr_t begin, std::uintptr_t end, Visit visit);
  // Under the mutex: forgets the chunks in [address, address + length).
  void forget(void* address, std::size_t length);
  // Zeroes a read-write chunk: pages given back since it was handed out are given back again
  // (zero without a fault, whatever was written since), the rest are written with zeros.
  void zero(void* chunk, std::uint64_t dropped);

  const std::size_t page_size_;
  const std::size_t pages_per_chunk_;
  const bool tracks_pages_;  // a chunk has at most 64 system pages
  const std::size_t pool_max_;
  const std::size_t discard_max_;

  std::atomic<int> reducing_{0};
  std::mutex mutex_;
  // Everything below is guarded by the mutex.
  std::vector<void*> free_;  // kept chunks: zeroed, read-write
  std::unordered_map<std::uintptr_t, Chunk> out_;
  std::size_t pool_bytes_ = 0;     // free_ and parked chunks
  std::size_t discard_bytes_ = 0;  // held pages
  Figures figures_;
  std::mt19937_64 random_;
};

}  // namespace krepis

#include "core/engine/page_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace krepis {
namespace {

int protection(v8::PageAllocator::Permission permissions) {
  switch (permissions) {
    case v8::PageAllocator::kNoAccess:
    case v8::PageAllocator::kNoAccessWillJitLater:
      return PROT_NONE;
    case v8::PageAllocator::kRead:
      return PROT_READ;
    case v8::PageAllocator::kReadWrite:
      return PROT_READ | PROT_WRITE;
    case v8::PageAllocator::kReadWriteExecute:
      return PROT_READ | PROT_WRITE | PROT_EXEC;
    case v8::PageAllocator::kReadExecute:
      return PROT_READ | PROT_EXEC;
  }
  return PROT_NONE;
}

constexpr int kProtReadWrite = PROT_READ | PROT_WRITE;

// Writes zeros over resident memory (whole system pages). On x86-64 with `rep stosq`: as fast
// as memset's `rep stosb` (~12 µs for a chunk here), and callgrind, whose instruction counts
// are the bench's firm figures (bench/thresholds.json), counts it once per 8 bytes instead of
// once per byte, which made a 256 KiB chunk weigh more than a whole trivial run.
void zero_bytes(char* bytes, std::size_t size) {
#if defined(__x86_64__)
  std::size_t words = size / 8;
  asm volatile("rep stosq" : "+D"(bytes), "+c"(words) : "a"(std::uint64_t{0}) : "memory");
#else
  std::memset(bytes, 0, size);
#endif
}

std::uintptr_t address_of(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }
void* pointer_to(std::uintptr_t address) { return reinterpret_cast<void*>(address); }

}  // namespace

PagePool::PagePool(std::size_t pool_bytes, std::size_t discard_bytes)
    : page_size_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))),
      pages_per_chunk_(kChunkBytes / page_size_),
      tracks_pages_(pages_per_chunk_ <= 64),
      pool_max_(tracks_pages_ ? pool_bytes / kChunkBytes * kChunkBytes : 0),
      discard_max_(tracks_pages_ ? discard_bytes : 0),
      random_(std::random_device{}()) {
  // FreePages never allocates under the mutex: free_ never holds more than this.
  free_.reserve(pool_max_ / kChunkBytes);
}

PagePool::~PagePool() {
  for (void* chunk : free_) ::munmap(chunk, kChunkBytes);
}

void PagePool::SetRandomMmapSeed(std::int64_t seed) {
  if (seed == 0) return;
  std::lock_guard lock(mutex_);
  random_.seed(static_cast<std::uint64_t>(seed));
}

void* PagePool::GetRandomMmapAddr() {
  std::uint64_t raw;
  {
    std::lock_guard lock(mutex_);
    raw = random_();
  }
  // Below 2^46 (x86-64 user space ends at 2^47; the top is left to the kernel's own
  // placements), page-aligned. Only a hint: mmap places elsewhere when it is taken.
  raw &= std::uint64_t{0x3fff'ffff'f000};
  return pointer_to(static_cast<std::uintptr_t>(raw));
}

bool PagePool::is_chunk(void* address, std::size_t length) {
  return length == kChunkBytes && address_of(address) % kChunkBytes == 0;
}

void* PagePool::map_fresh(void* hint, std::size_t length, std::size_t alignment,
                          Permission permissions) {
  if (alignment < page_size_) alignment = page_size_;
  const int prot = protection(permissions);
  int flags = MAP_PRIVATE | MAP_ANONYMOUS;
  // Reserved but inaccessible address space is not charged to the commit limit (as V8 does).
  if (prot == PROT_NONE) flags |= MAP_NORESERVE;
  const std::size_t request = length + (alignment - page_size_);
  hint = pointer_to(address_of(hint) / alignment * alignment);
  void* mapped = ::mmap(hint, request, prot, flags, -1, 0);
  if (mapped == MAP_FAILED) return nullptr;
  const std::uintptr_t base = address_of(mapped);
  const std::uintptr_t start = (base + alignment - 1) / alignment * alignment;
  const std::uintptr_t end = start + length;
  if (start > base) ::munmap(mapped, start - base);
  if (base + request > end) ::munmap(pointer_to(end), base + request - end);
  return pointer_to(start);
}

void* PagePool::AllocatePages(void* hint, std::size_t length, std::size_t alignment,
                              Permission permissions) {
  void* address = nullptr;
  bool fresh = false;
  if (length == kChunkBytes && alignment == kChunkBytes) {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        address = free_.back();
        free_.pop_back();
        pool_bytes_ -= kChunkBytes;
        ++figures_.reused;
      }
    }
    // Kept chunks are read-write and zero already.
    if (address != nullptr && protection(permissions) != kProtReadWrite &&
        ::mprotect(address, length, protection(permissions)) != 0) {
      ::munmap(address, length);
      address = nullptr;
    }
  }
  if (address == nullptr) {
    address = map_fresh(hint, length, alignment, permissions);
    fresh = true;
  }
  if (address != nullptr && tracks_pages_ && is_chunk(address, length)) {
    std::lock_guard lock(mutex_);
    out_[address_of(address)] =
        Chunk{.writable = protection(permissions) == kProtReadWrite, .fresh = fresh};
  }
  return address;
}

std::uint64_t PagePool::pages_within(std::uintptr_t base, std::uintptr_t begin,
                                     std::uintptr_t end) const {
  const std::uintptr_t from = std::max(begin, base);
  const std::uintptr_t to = std::min(end, base + kChunkBytes);
  if (to <= from) return 0;
  const std::size_t first = (from - base + page_size_ - 1) / page_size_;
  const std::size_t last = (to - base) / page_size_;  // one past
  if (last <= first) return 0;
  const std::size_t count = last - first;
  const std::uint64_t ones = count >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
  return ones << first;
}

void PagePool::uncount(Chunk& chunk) {
  if (chunk.parked) {
    pool_bytes_ -= kChunkBytes;
    chunk.parked = false;
  }
  discard_bytes_ -= static_cast<std::size_t>(std::popcount(chunk.held)) * page_size_;
  chunk.held = 0;
}

template <typename Visit>
void PagePool::each_chunk(std::uintptr_t begin, std::uintptr_t end, Visit visit) {
  if (out_.empty() || end <= begin) return;
  const std::uintptr_t first = begin / kChunkBytes * kChunkBytes;
  // A range of many chunks (a WebAssembly memory's reservation, the code range) is matched
  // against the chunks handed out, not probed chunk by chunk.
  if ((end - first) / kChunkBytes > out_.size()) {
    for (auto it = out_.begin(); it != out_.end();) {
      if (it->first >= first && it->first < end && visit(it->first, it->second)) {
        it = out_.erase(it);
      } else {
        ++it;
      }
    }
    return;
  }
  for (std::uintptr_t base = first; base < end; base += kChunkBytes) {
    auto found = out_.find(base);
    if (found != out_.end() && visit(base, found->second)) out_.erase(found);
  }
}

void PagePool::forget(void* address, std::size_t length) {
  const std::uintptr_t begin = address_of(address);
  each_chunk(begin, begin + length, [this](std::uintptr_t, Chunk& chunk) {
    uncount(chunk);
    return true;
  });
}

void PagePool::drop(void* address, std::size_t length) {
  ::madvise(address, length, MADV_DONTNEED);
  const std::uintptr_t begin = address_of(address);
  const std::uintptr_t end = begin + length;
  std::lock_guard lock(mutex_);
  each_chunk(begin, end, [&](std::uintptr_t base, Chunk& chunk) {
    const std::uint64_t pages = pages_within(base, begin, end);
    chunk.dropped |= pages;
    discard_bytes_ -= static_cast<std::size_t>(std::popcount(chunk.held & pages)) * page_size_;
    chunk.held &= ~pages;
    return false;
  });
}

void PagePool::zero(void* chunk, std::uint64_t dropped) {
  char* bytes = static_cast<char*>(chunk);
  std::size_t page = 0;
  while (page < pages_per_chunk_) {
    const bool was_dropped = (dropped >> page) & 1;
    std::size_t end = page + 1;
    while (end < pages_per_chunk_ && ((dropped >> end) & 1) == was_dropped) ++end;
    char* from = bytes + page * page_size_;
    const std::size_t size = (end - page) * page_size_;
    if (was_dropped) {
      ::madvise(from, size, MADV_DONTNEED);
    } else {
      zero_bytes(from, size);
    }
    page = end;
  }
}

bool PagePool::FreePages(void* address, std::size_t length) {
  if (is_chunk(address, length)) {
    Chunk chunk;
    bool ours = false;
    bool room = false;
    {
      std::lock_guard lock(mutex_);
      auto found = out_.find(address_of(address));
      if (found != out_.end()) {
        ours = true;
        chunk = found->second;
        uncount(found->second);
        out_.erase(found);
        room = pool_bytes_ + kChunkBytes <= pool_max_;
        if (room) pool_bytes_ += kChunkBytes;  // reserved
      }
    }
    if (ours && room) {
      // Zeroed before it is kept (a parked chunk is zero already): what a tenant left in it
      // must not reach the next owner.
      bool ok = chunk.writable || ::mprotect(address, length, kProtReadWrite) == 0;
      if (ok && !chunk.parked) {
        zero(address, chunk.dropped);
      }
      std::lock_guard lock(mutex_);
      if (ok) {
        free_.push_back(address);
        ++figures_.kept;
        return true;
      }
      pool_bytes_ -= kChunkBytes;
    }
    if (ours) {
      std::lock_guard lock(mutex_);
      ++figures_.unmapped;
    }
  } else {
    std::lock_guard lock(mutex_);
    forget(address, length);
  }
  return ::munmap(address, length) == 0;
}

bool PagePool::ReleasePages(void* address, std::size_t length, std::size_t new_length) {
  {
    // The chunk is no longer whole: it will not be kept.
    std::lock_guard lock(mutex_);
    forget(address, length);
  }
  return ::munmap(static_cast<char*>(address) + new_length, length - new_length) == 0;
}

bool PagePool::SetPermissions(void* address, std::size_t length, Permission permissions) {
  const int prot = protection(permissions);
  const std::uintptr_t begin = address_of(address);
  if (prot == PROT_NONE && is_chunk(address, length)) {
    // V8 uncommits a chunk it keeps for itself: zeroed and kept resident, if there is room,
    // instead of given back (V8's own allocator would, and its next use would fault it in).
    std::uint64_t dropped = 0;
    bool park = false;
    {
      std::lock_guard lock(mutex_);
      auto found = out_.find(begin);
      // A fresh chunk's first uncommit gives it back as V8 would (its untouched pages would
      // cost a fault each to zero); from then on it is warm.
      if (found != out_.end() && found->second.fresh) {
        found->second.fresh = false;
      } else if (found != out_.end() && found->second.writable && !found->second.parked &&
                 pool_bytes_ + kChunkBytes <= pool_max_) {
        Chunk& chunk = found->second;
        uncount(chunk);
        chunk.parked = true;
        chunk.parking = true;
        chunk.writable = false;
        pool_bytes_ += kChunkBytes;
        ++figures_.parked;
        dropped = chunk.dropped;
        park = true;
      }
    }
    if (park) {
      zero(address, dropped);
      const bool ok = ::mprotect(address, length, PROT_NONE) == 0;
      std::lock_guard lock(mutex_);
      auto found = out_.find(begin);
      if (found != out_.end()) {
        found->second.parking = false;
        if (!ok) uncount(found->second);
      }
      return ok;
    }
  }
  if (::mprotect(address, length, prot) != 0) return false;
  {
    std::lock_guard lock(mutex_);
    each_chunk(begin, begin + length, [&](std::uintptr_t base, Chunk& chunk) {
      const bool whole = begin <= base && base + kChunkBytes <= begin + length;
      chunk.writable = whole && prot == kProtReadWrite;
      if (chunk.parked) {
        // Committed again (it is zero), or changed in part: no longer counted.
        pool_bytes_ -= kChunkBytes;
        chunk.parked = false;
      }
      return false;
    });
  }
  // As V8's own allocator does: memory made inaccessible is given back (it reads as zero when
  // made accessible again).
  if (prot == PROT_NONE) drop(address, length);
  return true;
}

bool PagePool::DiscardSystemPages(void* address, std::size_t length) {
  const std::uintptr_t begin = address_of(address);
  const std::uintptr_t base = begin / kChunkBytes * kChunkBytes;
  if (discard_max_ > 0 && begin + length <= base + kChunkBytes && reducing_.load() == 0) {
    // Only a hint: free space in a live chunk is left alone, while there is room. V8 may
    // allocate in it again; it is zeroed with its chunk.
    std::lock_guard lock(mutex_);
    auto found = out_.find(base);
    if (found != out_.end() && !found->second.parked) {
      Chunk& chunk = found->second;
      const std::uint64_t pages = pages_within(base, begin, begin + length) & ~chunk.held;
      const std::size_t bytes = static_cast<std::size_t>(std::popcount(pages)) * page_size_;
      if (discard_bytes_ + bytes <= discard_max_) {
        chunk.held |= pages;
        discard_bytes_ += bytes;
        figures_.discards_kept += static_cast<std::uint64_t>(std::popcount(pages));
        return true;
      }
    }
  }
  drop(address, length);
  return true;
}

bool PagePool::DecommitPages(void* address, std::size_t length) {
  // A fresh inaccessible mapping in place: the old pages are dropped, and read as zero once
  // made accessible again.
  if (::mmap(address, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
             -1, 0) != address) {
    return false;
  }
  const std::uintptr_t begin = address_of(address);
  std::lock_guard lock(mutex_);
  each_chunk(begin, begin + length, [&](std::uintptr_t base, Chunk& chunk) {
    uncount(chunk);
    chunk.dropped |= pages_within(base, begin, begin + length);
    chunk.writable = false;
    return false;
  });
  return true;
}

void PagePool::give_back() {
  std::vector<void*> kept;
  kept.reserve(pool_max_ / kChunkBytes);
  {
    std::lock_guard lock(mutex_);
    kept.swap(free_);
    pool_bytes_ -= kept.size() * kChunkBytes;
    // Parked chunks are inaccessible to V8 until it commits them again (under this mutex),
    // so they can be given back here.
    for (auto& [base, chunk] : out_) {
      // Not one being parked: its zeroing, outside the mutex, would fault back what this
      // gives back, uncounted.
      if (!chunk.parked || chunk.parking) continue;
      ::madvise(pointer_to(base), kChunkBytes, MADV_DONTNEED);
      chunk.dropped = ~std::uint64_t{0};
      chunk.parked = false;
      pool_bytes_ -= kChunkBytes;
    }
  }
  for (void* chunk : kept) ::munmap(chunk, kChunkBytes);
}

PagePool::Figures PagePool::figures() {
  std::lock_guard lock(mutex_);
  Figures figures = figures_;
  figures.pool_bytes = pool_bytes_;
  figures.discard_bytes = discard_bytes_;
  return figures;
}

}  // namespace krepis

// A gate in V8's page allocator that each isolate's large objects pass. V8 10.2 puts the first
// large object of a young generation in its large-object space whatever its size, with no
// heap-limit check and no callback: `new Array(3e7)` commits 229 MiB in one step and writes
// its holes over all of it inside a builtin that checks no interrupts, so the process grows
// by hundreds of MiB before any guard of the heap sees it. V8 commits such an object's whole
// chunk, on the isolate's own thread, just before it writes it: the moment to refuse it.
//
// V8 answers a refused commit with garbage collections and a retry, then a heap OOM, which
// ends the process (a worker process's gate ends it first, with the run's last words). Only
// a reservation larger than a heap page and aligned to one is a large object's chunk: a
// WebAssembly memory (aligned to its 64 KiB pages) or the code range (committed part by part)
// never asks.
#pragma once

#include <v8-isolate.h>
#include <v8-platform.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace krepis {

// One isolate's judge of its large objects. Called on the isolate's own thread, inside V8's
// allocation: it must only read and set its own fields (and may request termination).
class LargeObjectGate {
 public:
  // True lets V8 commit `bytes` for one large object of the isolate.
  virtual bool may_commit(std::size_t bytes) = 0;

 protected:
  ~LargeObjectGate() = default;
};

// The page allocator V8 is given: every call goes to `inner` (the page pool), but a whole
// large chunk's commit on a thread that has entered a gated isolate is first put to that
// isolate's gate. Called from any of V8's threads.
class GatedPages final : public v8::PageAllocator {
 public:
  // Chunks reserved larger than this are large objects' (V8's regular page is 256 KiB).
  static constexpr std::size_t kLargeBytes = 256 * 1024;

  explicit GatedPages(v8::PageAllocator& inner) : inner_(inner) {}
  GatedPages(const GatedPages&) = delete;
  GatedPages& operator=(const GatedPages&) = delete;

  // Puts the isolate's large objects to `gate`; nullptr removes it. Set after the isolate is
  // made, removed before the gate dies, each with the isolate locked (so never while one of
  // its allocations asks).
  void set_gate(v8::Isolate* isolate, LargeObjectGate* gate);

  std::size_t AllocatePageSize() override { return inner_.AllocatePageSize(); }
  std::size_t CommitPageSize() override { return inner_.CommitPageSize(); }
  void SetRandomMmapSeed(std::int64_t seed) override { inner_.SetRandomMmapSeed(seed); }
  void* GetRandomMmapAddr() override { return inner_.GetRandomMmapAddr(); }
  void* AllocatePages(void* hint, std::size_t length, std::size_t alignment,
                      Permission permissions) override;
  bool FreePages(void* address, std::size_t length) override;
  bool ReleasePages(void* address, std::size_t length, std::size_t new_length) override;
  bool SetPermissions(void* address, std::size_t length, Permission permissions) override;
  bool DiscardSystemPages(void* address, std::size_t length) override {
    return inner_.DiscardSystemPages(address, length);
  }
  bool DecommitPages(void* address, std::size_t length) override {
    return inner_.DecommitPages(address, length);
  }

 private:
  // False when the commit of [address, address + length) is a whole large chunk's, not yet
  // let in, and the current thread's isolate's gate refuses it.
  bool admits(void* address, std::size_t length);
  void forget(void* address);

  v8::PageAllocator& inner_;
  std::mutex mutex_;
  // Guarded by the mutex: chunks reserved inaccessible, larger than kLargeBytes and aligned
  // to it, by base, until let in or freed (few: each large object's), and the gates.
  std::unordered_map<std::uintptr_t, std::size_t> large_;
  std::unordered_map<v8::Isolate*, LargeObjectGate*> gates_;
};

}  // namespace krepis

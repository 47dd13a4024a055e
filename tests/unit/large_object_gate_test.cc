#include "core/engine/large_object_gate.h"

#include <doctest/doctest.h>
#include <v8-context.h>
#include <v8-locker.h>
#include <v8-primitive.h>
#include <v8-script.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/base/limits.h"
#include "core/base/stop_signal.h"
#include "core/engine/capped_allocator.h"
#include "core/engine/page_pool.h"
#include "core/runtime/heap_guard.h"
#include "unit/test_engine.h"

namespace krepis {
namespace {

// Says what it is told to, and remembers what it was asked.
class RecordingGate final : public LargeObjectGate {
 public:
  bool may_commit(std::size_t bytes) override {
    asked.push_back(bytes);
    return answer;
  }
  bool answer = true;
  std::vector<std::size_t> asked;
};

// An isolate of its own, entered on this thread for as long as it lives.
class EnteredIsolate {
 public:
  explicit EnteredIsolate(std::size_t cap_bytes)
      : allocator_(cap_bytes, {}), isolate_(make(allocator_, cap_bytes)), locker_(isolate_) {
    isolate_->Enter();
  }
  ~EnteredIsolate() {
    isolate_->Exit();
    test::engine().forget_isolate(isolate_);
    locker_.reset();
    isolate_->Dispose();
  }
  EnteredIsolate(const EnteredIsolate&) = delete;
  EnteredIsolate& operator=(const EnteredIsolate&) = delete;

  v8::Isolate* get() { return isolate_; }
  CappedAllocator& allocator() { return allocator_; }

 private:
  static v8::Isolate* make(CappedAllocator& allocator, std::size_t cap_bytes) {
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = &allocator;
    params.constraints.ConfigureDefaultsFromHeapSize(0, cap_bytes);
    return v8::Isolate::New(params);
  }

  CappedAllocator allocator_;
  v8::Isolate* isolate_;
  std::optional<v8::Locker> locker_;
};

// As V8 10.2 makes a large object's chunk: reserved inaccessible, aligned to a heap page
// (256 KiB), then committed whole.
void* reserve(GatedPages& pages, std::size_t bytes,
              std::size_t alignment = GatedPages::kLargeBytes) {
  void* chunk = pages.AllocatePages(nullptr, bytes, alignment, v8::PageAllocator::kNoAccess);
  REQUIRE(chunk != nullptr);
  return chunk;
}

TEST_CASE("a large chunk's first whole commit is put to its isolate's gate, and nothing else") {
  PagePool pool(0, 0);
  GatedPages pages(pool);
  EnteredIsolate isolate(64 * kMiB);
  RecordingGate gate;
  pages.set_gate(isolate.get(), &gate);

  void* large = reserve(pages, 4 * kMiB);
  CHECK(pages.SetPermissions(large, 4 * kMiB, v8::PageAllocator::kReadWrite));
  CHECK(gate.asked == std::vector<std::size_t>{4 * kMiB});
  // Made writable again later (a large code object is): not the object's commit.
  CHECK(pages.SetPermissions(large, 4 * kMiB, v8::PageAllocator::kReadExecute));
  CHECK(pages.SetPermissions(large, 4 * kMiB, v8::PageAllocator::kReadWrite));
  CHECK(gate.asked.size() == 1);
  CHECK(pages.FreePages(large, 4 * kMiB));

  // A WebAssembly memory's reservation, aligned to its 64 KiB pages and committed from its
  // base, whole once grown to its maximum: never asked.
  void* memory = reserve(pages, 8 * kMiB, 64 * 1024);
  CHECK(pages.SetPermissions(memory, 1 * kMiB, v8::PageAllocator::kReadWrite));
  CHECK(pages.SetPermissions(memory, 8 * kMiB, v8::PageAllocator::kReadWrite));
  CHECK(gate.asked.size() == 1);
  CHECK(pages.FreePages(memory, 8 * kMiB));
  // Committed part by part, as the code range: never asked.
  void* range = reserve(pages, 64 * kMiB);
  CHECK(pages.SetPermissions(range, 1 * kMiB, v8::PageAllocator::kReadWrite));
  CHECK(gate.asked.size() == 1);
  CHECK(pages.FreePages(range, 64 * kMiB));

  // A regular heap page: never asked.
  void* page = reserve(pages, PagePool::kChunkBytes);
  CHECK(pages.SetPermissions(page, PagePool::kChunkBytes, v8::PageAllocator::kReadWrite));
  CHECK(gate.asked.size() == 1);
  CHECK(pages.FreePages(page, PagePool::kChunkBytes));

  // On a thread that has entered no isolate (V8's helpers): never asked.
  void* elsewhere = reserve(pages, 4 * kMiB);
  bool committed = false;
  std::thread([&] {
    committed = pages.SetPermissions(elsewhere, 4 * kMiB, v8::PageAllocator::kReadWrite);
  }).join();
  CHECK(committed);
  CHECK(gate.asked.size() == 1);
  CHECK(pages.FreePages(elsewhere, 4 * kMiB));

  // Refused: the commit fails, and a second try at the same chunk is asked again.
  gate.answer = false;
  void* refused = reserve(pages, 8 * kMiB);
  CHECK_FALSE(pages.SetPermissions(refused, 8 * kMiB, v8::PageAllocator::kReadWrite));
  CHECK_FALSE(pages.SetPermissions(refused, 8 * kMiB, v8::PageAllocator::kReadWrite));
  CHECK(gate.asked == std::vector<std::size_t>{4 * kMiB, 8 * kMiB, 8 * kMiB});
  CHECK(pages.FreePages(refused, 8 * kMiB));

  // Once the gate is removed, nothing is asked.
  pages.set_gate(isolate.get(), nullptr);
  void* ungated = reserve(pages, 8 * kMiB);
  CHECK(pages.SetPermissions(ungated, 8 * kMiB, v8::PageAllocator::kReadWrite));
  CHECK(gate.asked.size() == 3);
  CHECK(pages.FreePages(ungated, 8 * kMiB));
}

// Keeps about `mib` MiB alive in a context of the isolate, and returns the context.
v8::Local<v8::Context> holding(v8::Isolate* isolate, int mib) {
  v8::EscapableHandleScope handles(isolate);
  v8::Local<v8::Context> context = v8::Context::New(isolate);
  v8::Context::Scope scope(context);
  const std::string source = "globalThis.kept = []; for (let i = 0; i < " + std::to_string(mib) +
                             "; i++) kept.push(new Array(131072).fill(i + 0.5)); kept.length";
  v8::Local<v8::String> text =
      v8::String::NewFromUtf8(isolate, source.c_str()).ToLocalChecked();
  v8::Local<v8::Script> script = v8::Script::Compile(context, text).ToLocalChecked();
  REQUIRE_FALSE(script->Run(context).IsEmpty());
  return handles.Escape(context);
}

// `count` handles in the current scope, each of a Smi: memory outside the heap, none in it.
void make_handles(v8::Isolate* isolate, int count) {
  for (int i = 0; i < count; ++i) v8::Integer::New(isolate, 1);
}

// An isolate with a worker process's heap guard, on this thread.
struct GuardedIsolate {
  explicit GuardedIsolate(std::size_t cap)
      : isolate(cap), guard(isolate.get(), isolate.allocator(), cap, stop, true) {}
  EnteredIsolate isolate;
  StopSignal stop;
  HeapGuard guard;  // last: destroyed before the isolate
};

// Under `cap`, with `within` handles held (of a Smi: no heap), `object` fits beside the heap
// and is let in; with `past` handles held it no longer does: refused, with the handles named,
// and not condemned (a GC may yet free heap); `smaller` still fits.
void handles_count_past_allowance(std::size_t cap, int within, int past, std::size_t object,
                                  std::size_t smaller) {
  GuardedIsolate guarded(cap);
  auto& [isolate, stop, guard] = guarded;
  v8::HandleScope handles(isolate.get());
  guard.begin_run();
  make_handles(isolate.get(), within);
  CHECK(guard.may_commit(object));
  CHECK(guard.refused_handles() == 0);
  guard.begin_run();  // forgets the object let in
  make_handles(isolate.get(), past - within);
  CHECK_FALSE(guard.may_commit(object));
  CHECK(guard.refused_bytes() == object);
  const std::size_t held = static_cast<std::size_t>(past) * sizeof(void*);
  CHECK(guard.refused_handles() >= held);
  CHECK(guard.refused_handles() < held + kMiB);
  CHECK(guard.may_commit(smaller));
  CHECK(guard.refused_handles() == 0);
  CHECK_FALSE(stop.tripped());
}

TEST_CASE("the heap guard refuses a large object past the cap, and condemns the run when it could never fit") {
  const std::size_t cap = 64 * kMiB;

  SUBCASE("an object larger than the whole cap: refused for good, and the run stopped") {
    GuardedIsolate guarded(cap);
    auto& [isolate, stop, guard] = guarded;
    std::vector<std::size_t> for_good;
    guard.on_refused_for_good([&](std::size_t bytes) { for_good.push_back(bytes); });
    guard.begin_run();
    CHECK_FALSE(guard.may_commit(cap + kMiB));
    CHECK(stop.reason() == StopReason::kNearHeapLimit);
    CHECK(guard.exceeded());
    CHECK(guard.refused_bytes() == cap + kMiB);
    CHECK(for_good == std::vector<std::size_t>{cap + kMiB});
  }

  SUBCASE("objects let in count until the next measure; a refusal below the cap stops nothing") {
    GuardedIsolate guarded(cap);
    auto& [isolate, stop, guard] = guarded;
    int for_good = 0;
    guard.on_refused_for_good([&](std::size_t) { ++for_good; });
    guard.begin_run();
    CHECK(guard.may_commit(40 * kMiB));
    // 40 + 30 MiB would pass the cap, by a measure that may count garbage: refused, no more.
    CHECK_FALSE(guard.may_commit(30 * kMiB));
    CHECK_FALSE(stop.tripped());
    CHECK(for_good == 0);
    CHECK_FALSE(guard.exceeded());
    CHECK(guard.refused_bytes() == 30 * kMiB);
    // A GC measures again: the 40 MiB were never written, so 30 fit.
    isolate.get()->LowMemoryNotification();
    CHECK(guard.may_commit(30 * kMiB));
    CHECK(guard.refused_bytes() == 0);
    CHECK_FALSE(stop.tripped());
  }

  SUBCASE("ArrayBuffers are counted as they are made, and a new run forgets a refusal") {
    GuardedIsolate guarded(cap);
    auto& [isolate, stop, guard] = guarded;
    guard.begin_run();
    void* buffer = isolate.allocator().Allocate(40 * kMiB);
    REQUIRE(buffer != nullptr);
    CHECK_FALSE(guard.may_commit(30 * kMiB));
    CHECK(guard.refused_bytes() == 30 * kMiB);
    isolate.allocator().Free(buffer, 40 * kMiB);
    guard.begin_run();
    CHECK(guard.refused_bytes() == 0);
    CHECK(guard.may_commit(30 * kMiB));
    CHECK_FALSE(stop.tripped());
  }

  SUBCASE("the handles a builtin holds count past 12 MiB under a small cap") {
    // 1.5M handles: 11.4 MiB, within the allowance, as JSON.parse holds for an array of 1.5M
    // elements; 2.5M: 19 MiB, 7 past it, as a builtin filling a dictionary holds.
    handles_count_past_allowance(cap, 1'500'000, 2'500'000, 60 * kMiB, 50 * kMiB);
  }

  SUBCASE("the handles a builtin holds count past a tenth of a large cap") {
    // 3M handles: 22.9 MiB, within a tenth of the cap (25.6 MiB); 4M: 30.5 MiB, 4.9 past it.
    handles_count_past_allowance(256 * kMiB, 3'000'000, 4'000'000, 252 * kMiB, 240 * kMiB);
  }

  SUBCASE("live objects are counted: over the cap with them, refused until they die") {
    GuardedIsolate guarded(cap);
    auto& [isolate, stop, guard] = guarded;
    v8::HandleScope handles(isolate.get());
    guard.begin_run();
    {
      v8::HandleScope inner(isolate.get());
      v8::Local<v8::Context> context = holding(isolate.get(), 40);
      isolate.get()->LowMemoryNotification();  // the 40 MiB are live
      CHECK(guard.may_commit(8 * kMiB));
      CHECK_FALSE(guard.may_commit(24 * kMiB));
      CHECK(guard.refused_bytes() == 24 * kMiB);
      CHECK_FALSE(context.IsEmpty());
    }
    isolate.get()->ContextDisposedNotification();
    isolate.get()->LowMemoryNotification();  // and now they are not
    CHECK(guard.may_commit(24 * kMiB));
    CHECK_FALSE(stop.tripped());
  }
}

}  // namespace
}  // namespace krepis

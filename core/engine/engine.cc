#include "core/engine/engine.h"

#include <libplatform/libplatform.h>
#include <malloc.h>
#include <v8-initialization.h>
#include <v8-isolate.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/engine/large_object_gate.h"
#include "core/engine/page_pool.h"

namespace krepis {
namespace {

// V8 can be initialised once per process; this is the one piece of process state it implies.
std::atomic<bool> engine_exists{false};

// Flags for every isolate, with the reason for each.
constexpr std::string_view kFlags[] = {
    // A catastrophic regular expression such as /(a+)+b/ on 'a'.repeat(30) runs for minutes
    // in the backtracking engine without reaching an interrupt check; past this many
    // backtracks V8 re-runs it in the linear-time engine, which returns in milliseconds.
    "--enable-experimental-regexp-engine-on-excessive-backtracks",
    // Tenants get no way to ask V8 for extra tools (gc(), %-natives): the defaults keep them
    // off, and we state it so no inherited NODE_OPTIONS-style flag turns them on.
    "--no-expose-gc",
    "--no-allow-natives-syntax",
    // Every context is deserialised from V8's snapshot, and by default V8 then re-sorts
    // every descriptor array and dictionary in it under a per-isolate random hash seed:
    // 11 % of a warm run. Without it all isolates keep the snapshot's seed. A seed mostly
    // guards against hash flooding by whoever chooses the keys; here that is the tenant
    // itself (its script and its inputs), each tenant has its own isolate and string
    // table, and its deadline bounds what a flood costs it. docs/THREAT-MODEL.md.
    "--no-rehash-snapshot",
    // The snapshot is part of libnode's read-only text; checksumming it again for every new
    // isolate costs a quarter of a cold start and checks nothing the package manager did not.
    "--no-verify-snapshot-checksum",
    // JSON modules: `import data from './x.json' assert { type: 'json' }`, the syntax
    // V8 10.2 has (node 18 turns it on too); module_graph.h reads the assertion.
    "--harmony-import-assertions",
};

// The default platform in every respect but one: V8's pages come from krepis's pool, behind
// the large-object gates. Called from any of V8's threads; it holds nothing of its own but
// the two references.
class PooledPagesPlatform final : public v8::Platform {
 public:
  PooledPagesPlatform(v8::Platform& inner, v8::PageAllocator& pages)
      : inner_(inner), pages_(pages) {}

  v8::PageAllocator* GetPageAllocator() override { return &pages_; }

  v8::ZoneBackingAllocator* GetZoneBackingAllocator() override {
    return inner_.GetZoneBackingAllocator();
  }
  void OnCriticalMemoryPressure() override { inner_.OnCriticalMemoryPressure(); }
  bool OnCriticalMemoryPressure(size_t length) override {
    return inner_.OnCriticalMemoryPressure(length);
  }
  int NumberOfWorkerThreads() override { return inner_.NumberOfWorkerThreads(); }
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override {
    return inner_.GetForegroundTaskRunner(isolate);
  }
  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_.CallOnWorkerThread(std::move(task));
  }
  void CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_.CallBlockingTaskOnWorkerThread(std::move(task));
  }
  void CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_.CallLowPriorityTaskOnWorkerThread(std::move(task));
  }
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task,
                                 double delay_in_seconds) override {
    inner_.CallDelayedOnWorkerThread(std::move(task), delay_in_seconds);
  }
  bool IdleTasksEnabled(v8::Isolate* isolate) override { return inner_.IdleTasksEnabled(isolate); }
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority,
                                         std::unique_ptr<v8::JobTask> job_task) override {
    return inner_.PostJob(priority, std::move(job_task));
  }
  double MonotonicallyIncreasingTime() override { return inner_.MonotonicallyIncreasingTime(); }
  double CurrentClockTimeMillis() override { return inner_.CurrentClockTimeMillis(); }
  StackTracePrinter GetStackTracePrinter() override { return inner_.GetStackTracePrinter(); }
  v8::TracingController* GetTracingController() override {
    return inner_.GetTracingController();
  }
  void DumpWithoutCrashing() override { inner_.DumpWithoutCrashing(); }
  v8::HighAllocationThroughputObserver* GetHighAllocationThroughputObserver() override {
    return inner_.GetHighAllocationThroughputObserver();
  }

 private:
  v8::Platform& inner_;
  v8::PageAllocator& pages_;
};

// What the page pool may hold resident beyond what V8 counts as committed: 64 of V8's
// 256 KiB chunks, free or uncommitted, and 8 MiB of discarded free space in live chunks.
constexpr std::size_t kPagePoolBytes = 16 * 1024 * 1024;
constexpr std::size_t kPageDiscardBytes = 8 * 1024 * 1024;

}  // namespace

const char* Engine::v8_version() { return v8::V8::GetVersion(); }

Engine::Engine() {
  if (engine_exists.exchange(true)) {
    std::fputs("krepis: internal error: V8 engine initialised twice\n", stderr);
    std::abort();
  }
  // glibc gives the top of its heap back to the kernel once 128 KiB of it are free, which
  // a run's result and report buffers pass on every run; the next run then faults the same
  // pages in again (13 of a realistic warm run's 68 page faults). Keeping 1 MiB costs at most
  // that, and fixes the mmap threshold at 128 KiB, so big buffers still go back when freed.
  mallopt(M_TRIM_THRESHOLD, 1 << 20);
  for (std::string_view flag : kFlags) {
    v8::V8::SetFlagsFromString(flag.data(), flag.size());
  }
  // Debian's libnode uses the system ICU, so there is no icudtl.dat to locate.
  default_platform_ = v8::platform::NewDefaultPlatform();
  pages_ = std::make_unique<PagePool>(kPagePoolBytes, kPageDiscardBytes);
  gated_pages_ = std::make_unique<GatedPages>(*pages_);
  platform_ = std::make_unique<PooledPagesPlatform>(*default_platform_, *gated_pages_);
  v8::V8::InitializePlatform(platform_.get());
  v8::V8::Initialize();
}

Engine::~Engine() {
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
}

bool Engine::run_pending_tasks(v8::Isolate* isolate) {
  bool ran = false;
  while (v8::platform::PumpMessageLoop(default_platform_.get(), isolate,
                                       v8::platform::MessageLoopBehavior::kDoNotWait)) {
    ran = true;
  }
  return ran;
}

void Engine::forget_isolate(v8::Isolate* isolate) {
  v8::platform::NotifyIsolateShutdown(default_platform_.get(), isolate);
}

void Engine::reduce_memory(v8::Isolate* isolate) {
  pages_->begin_reducing();
  isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kCritical);
  pages_->end_reducing();
  pages_->give_back();
}

void Engine::gate_large_objects(v8::Isolate* isolate, LargeObjectGate* gate) {
  gated_pages_->set_gate(isolate, gate);
}

Engine::CodeCacheNeed Engine::code_cache_for(std::string_view source_name) {
  std::lock_guard lock(code_caches_mutex_);
  auto found = code_caches_.find(source_name);
  if (found == code_caches_.end()) {
    found = code_caches_.emplace(std::string(source_name), CodeCacheEntry{}).first;
  }
  CodeCacheEntry& entry = found->second;
  ++entry.compilations;
  return CodeCacheNeed{entry.cache, entry.cache == nullptr && entry.compilations >= 2};
}

void Engine::keep_code_cache(std::string_view source_name, std::vector<std::uint8_t> bytes) {
  std::lock_guard lock(code_caches_mutex_);
  auto found = code_caches_.find(source_name);
  if (found == code_caches_.end() || found->second.cache != nullptr) return;
  found->second.cache = std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
  ++code_cache_figures_.kept;
}

void Engine::count_code_cache_use(bool accepted) {
  std::lock_guard lock(code_caches_mutex_);
  ++(accepted ? code_cache_figures_.accepted : code_cache_figures_.rejected);
}

Engine::CodeCacheFigures Engine::code_cache_figures() {
  std::lock_guard lock(code_caches_mutex_);
  return code_cache_figures_;
}

}  // namespace krepis

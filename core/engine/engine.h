// Process-wide V8: platform, flags, initialisation and tear-down. Exactly one Engine exists
// while V8 is in use; it is the only owner of process-global V8 state, and the place where
// V8-version specifics live.
#pragma once

#include <v8-platform.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace krepis {

class GatedPages;
class LargeObjectGate;
class PagePool;

class Engine {
 public:
  // Initialises V8. A second Engine in the same process is a programming error: V8 cannot be
  // initialised twice, so the constructor aborts with a message.
  Engine();
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  v8::Platform& platform() { return *platform_; }

  // "10.2.154.26-node.xx": the V8 krepis runs on (needs no initialisation).
  static const char* v8_version();

  // Runs the platform's foreground tasks queued for this isolate (GC steps, the completion of
  // asynchronous WebAssembly compilation) without waiting. Returns true if any ran.
  bool run_pending_tasks(v8::Isolate* isolate);
  // Forgets the isolate's task queue; call just before disposing an isolate.
  void forget_isolate(v8::Isolate* isolate);
  // Gives an idle isolate's free memory back to the system: a memory-reducing GC whose
  // discarded pages are given back at once, then the heap pages krepis keeps for reuse
  // (core/engine/page_pool.h). Call with the isolate locked and entered.
  void reduce_memory(v8::Isolate* isolate);

  // Puts the isolate's large objects to `gate` (core/engine/large_object_gate.h); nullptr
  // removes it. Call with the isolate locked, after it is made and before the gate dies.
  void gate_large_objects(v8::Isolate* isolate, LargeObjectGate* gate);

  // V8's code cache of krepis's built-in JavaScript (core/ops/js_builtins), by source name,
  // so that the process's isolates after the first compile a source from it (one V8 with one
  // set of flags, which a cache depends on). Making a cache costs about half a compilation,
  // so it is made only once a second isolate compiles the source: a process with one
  // isolate (a lone `krepis run`) never pays for it. Called from any sandbox's thread.
  using CodeCache = std::shared_ptr<const std::vector<std::uint8_t>>;
  struct CodeCacheNeed {
    CodeCache cache;        // to compile from, when kept
    bool make_one = false;  // this compilation should keep its cache
  };
  // Counts a compilation of the source and says how it should go.
  CodeCacheNeed code_cache_for(std::string_view source_name);
  void keep_code_cache(std::string_view source_name, std::vector<std::uint8_t> bytes);
  // What became of the caches: compilations that used one, and that V8 refused one for
  // (a mismatch: it compiled anew). Thread-safe.
  void count_code_cache_use(bool accepted);
  struct CodeCacheFigures {
    int kept = 0;
    int accepted = 0;
    int rejected = 0;
  };
  CodeCacheFigures code_cache_figures();

 private:
  // Declared in the order they are needed: V8 frees pages into the pool until it is disposed.
  std::unique_ptr<v8::Platform> default_platform_;  // v8::platform's, which runs the tasks
  std::unique_ptr<PagePool> pages_;
  std::unique_ptr<GatedPages> gated_pages_;  // the pool, behind each isolate's large-object gate
  std::unique_ptr<v8::Platform> platform_;   // what V8 is given: the default one, our pages
  struct CodeCacheEntry {
    CodeCache cache;
    int compilations = 0;
  };
  std::mutex code_caches_mutex_;
  std::map<std::string, CodeCacheEntry, std::less<>> code_caches_;  // guarded by the mutex
  CodeCacheFigures code_cache_figures_;                             // guarded by the mutex
};

}  // namespace krepis

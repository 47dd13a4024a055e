// The code V8 compiled for the modules one isolate imported, kept for its later runs: a
// batch's jobs of one tenant typically import the same library, and each run would otherwise
// parse it again. Only compiled code is kept, never a module instance: every run still
// builds its own graph (module_graph.h).
//
// Keyed by the module's whole text (a hash finds the entry, the text must then be equal:
// V8 itself checks only a cache's length and flags, so a hash alone could run another
// file's code). Bounded: modules of at least kMinCachedBytes, at most kMaxCacheBytes of text
// and code per isolate (host memory, outside the heap cap), the first that fit.
#pragma once

#include <v8-isolate.h>
#include <v8-script.h>

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

namespace krepis {

class ModuleCodeCache {
 public:
  static constexpr std::size_t kMinCachedBytes = 1024;
  static constexpr std::size_t kMaxCacheBytes = 4 * 1024 * 1024;

  // Compiles `source` (whose UTF-8 is `text`) as a module with `origin`: from the cache
  // when it holds this text, else afresh, then caching the code when it fits.
  v8::MaybeLocal<v8::Module> compile(v8::Isolate* isolate, const v8::ScriptOrigin& origin,
                                     v8::Local<v8::String> source, const std::string& text);

  std::size_t bytes() const { return bytes_; }
  std::size_t hits() const { return hits_; }

 private:
  struct Entry {
    std::string text;
    std::unique_ptr<v8::ScriptCompiler::CachedData> code;
  };
  std::unordered_multimap<std::size_t, Entry> entries_;
  std::size_t bytes_ = 0;
  std::size_t hits_ = 0;
};

}  // namespace krepis

#include "core/runtime/module_code_cache.h"

#include <functional>
#include <string_view>

namespace krepis {

v8::MaybeLocal<v8::Module> ModuleCodeCache::compile(v8::Isolate* isolate,
                                                    const v8::ScriptOrigin& origin,
                                                    v8::Local<v8::String> source,
                                                    const std::string& text) {
  if (text.size() < kMinCachedBytes) {
    v8::ScriptCompiler::Source plain(source, origin);
    return v8::ScriptCompiler::CompileModule(isolate, &plain);
  }
  const std::size_t hash = std::hash<std::string_view>{}(text);
  auto [first, last] = entries_.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    if (it->second.text != text) continue;
    const v8::ScriptCompiler::CachedData& code = *it->second.code;
    // V8 reads the bytes while it compiles; the cache keeps owning them.
    v8::ScriptCompiler::Source cached(
        source, origin,
        std::make_unique<v8::ScriptCompiler::CachedData>(code.data, code.length).release());
    v8::MaybeLocal<v8::Module> module = v8::ScriptCompiler::CompileModule(
        isolate, &cached, v8::ScriptCompiler::kConsumeCodeCache);
    if (cached.GetCachedData() != nullptr && cached.GetCachedData()->rejected) {
      bytes_ -= it->second.text.size() + static_cast<std::size_t>(code.length);
      entries_.erase(it);  // V8 compiled it afresh; a cache it refuses once it always will
    } else {
      ++hits_;
    }
    return module;
  }
  v8::ScriptCompiler::Source plain(source, origin);
  v8::Local<v8::Module> module;
  if (!v8::ScriptCompiler::CompileModule(isolate, &plain).ToLocal(&module)) return {};
  if (bytes_ + text.size() < kMaxCacheBytes) {
    std::unique_ptr<v8::ScriptCompiler::CachedData> code(
        v8::ScriptCompiler::CreateCodeCache(module->GetUnboundModuleScript()));
    const std::size_t size = text.size() + static_cast<std::size_t>(code ? code->length : 0);
    if (code != nullptr && bytes_ + size <= kMaxCacheBytes) {
      bytes_ += size;
      entries_.emplace(hash, Entry{text, std::move(code)});
    }
  }
  return module;
}

}  // namespace krepis

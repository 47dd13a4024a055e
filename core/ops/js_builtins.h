// JavaScript built into krepis: the web platform's classes that every runtime writes in
// JavaScript too (DOMException, Event, EventTarget, AbortController, AbortSignal; URL and
// URLSearchParams from the whatwg-url package). Their sources are embedded at build time
// (cmake/EmbedText.cmake). Each evaluates to a factory of the host's helpers, which returns
// its exports. A source is compiled once per isolate and evaluated at most once per
// context, the first time the run reads one of its globals; a run that uses none pays for
// none. It runs with the script's own intrinsics: a script that replaces builtins before
// its first use changes these classes for itself only, and nothing on the host's side
// trusts what they return.
#pragma once

#include <v8-context.h>
#include <v8-external.h>
#include <v8-persistent-handle.h>
#include <v8-script.h>

#include <array>
#include <cstddef>
#include <string_view>

namespace krepis {

struct OpHost;

enum class JsBuiltin : std::size_t { kWebEvents, kUrl, kCount };

// The compiled sources, once per isolate (OpHost::js_builtins).
struct JsBuiltinScripts {
  std::array<v8::Global<v8::UnboundScript>, static_cast<std::size_t>(JsBuiltin::kCount)> scripts;
  // Those whose code cache the engine asked this isolate to make, after their first run.
  std::array<bool, static_cast<std::size_t>(JsBuiltin::kCount)> make_cache{};
  void reset() {
    for (auto& script : scripts) script.Reset();
  }
};

// The exports of `which` in `context`, evaluating it there if the run has not yet. Empty
// when V8 failed (termination, or an exception the caller's TryCatch holds).
v8::MaybeLocal<v8::Object> builtin_exports(v8::Local<v8::Context> context, OpHost& host,
                                           JsBuiltin which);

// A DOMException named `name` (DataCloneError, InvalidCharacterError, ...), for the host's
// own errors; empty when V8 failed.
v8::MaybeLocal<v8::Value> dom_exception(v8::Local<v8::Context> context, OpHost& host,
                                        std::string_view message, const char* name);
// Throws one; when even that fails (termination), the pending termination is what lands.
void throw_dom_exception(v8::Local<v8::Context> context, OpHost& host, std::string_view message,
                         const char* name);

// Puts each built-in class on a fresh context's global object, as lazy data properties.
bool install_builtin_globals(v8::Local<v8::Context> context, v8::Local<v8::External> host);

}  // namespace krepis

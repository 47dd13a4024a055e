#include "core/ops/js_builtins.h"

#include <v8-exception.h>
#include <v8-function.h>
#include <v8-primitive.h>
#include <v8-promise.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <vector>

#include "core/engine/v8_text.h"
#include "core/ops/lazy_global.h"
#include "core/ops/op_call.h"
#include "core/ops/op_host.h"

namespace krepis {

namespace embedded {
extern const std::string_view kWebEvents;
extern const std::string_view kUrl;
}  // namespace embedded

namespace {

struct BuiltinSource {
  const std::string_view* text;
  const char* origin;       // as stack traces show it
  const char* exports_key;  // the private key its exports are kept under in a context
  std::initializer_list<const char*> globals;
};

const BuiltinSource& source_of(JsBuiltin which) {
  static const BuiltinSource kSources[] = {
      {&embedded::kWebEvents,
       "krepis:web_events.js",
       "krepis.web_events",
       {"DOMException", "Event", "EventTarget", "AbortController", "AbortSignal"}},
      {&embedded::kUrl, "krepis:url.js", "krepis.url", {"URL", "URLSearchParams"}},
  };
  return kSources[static_cast<std::size_t>(which)];
}

// ---- The host's helpers, given to a factory ----

// Milliseconds since the run began, as performance.now() (Event.timeStamp).
void now(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "Event.timeStamp");
  if (!call.active()) return;
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              call.run().started)
                        .count();
  call.set_result(call.number(std::floor(ms * 10) / 10));
}

// An error a listener threw: the run fails with it, as with an unhandled rejection, once
// the listeners have run.
void report_error(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "reportError");
  if (!call.active()) return;
  v8::Local<v8::Promise::Resolver> resolver;
  // Only termination makes these fail, and it ends the run anyway.
  if (!v8::Promise::Resolver::New(call.context()).ToLocal(&resolver) ||
      resolver->Reject(call.context(), info[0]).IsNothing()) {
    return;
  }
}

// A timer that does not keep the run alive (AbortSignal.timeout).
void background_timeout(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "AbortSignal.timeout");
  if (!call.active() || !info[0]->IsFunction() || !info[1]->IsNumber()) return;
  const double ms = std::clamp(info[1].As<v8::Number>()->Value(), 1.0,
                               static_cast<double>(TimerQueue::kMaxDelay.count()));
  // Under the same limit as the script's own timers (the error thrown names the op).
  call.run().timers.add(call.context(), *call.host().allocator, "AbortSignal.timeout",
                        info[0].As<v8::Function>(), {},
                        TimerQueue::Duration(static_cast<std::int64_t>(ms)), false,
                        /*keeps_run_alive=*/false);
}

v8::MaybeLocal<v8::Object> helpers(v8::Local<v8::Context> context, OpHost& host) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::External> data = v8::External::New(isolate, &host);
  // No prototype, and own data properties: no setter of the script's sees the helpers,
  // nor what the built-in code adds to this object.
  v8::Local<v8::Object> object = v8::Object::New(isolate, v8::Null(isolate), nullptr, nullptr, 0);
  const std::pair<const char*, v8::FunctionCallback> functions[] = {
      {"now", &now}, {"reportError", &report_error}, {"backgroundTimeout", &background_timeout}};
  for (const auto& [name, callback] : functions) {
    v8::Local<v8::Function> function;
    v8::Local<v8::String> key;
    if (!v8::Function::New(context, callback, data, 0, v8::ConstructorBehavior::kThrow)
             .ToLocal(&function) ||
        !to_v8(isolate, name).ToLocal(&key) ||
        !object->CreateDataProperty(context, key, function).FromMaybe(false)) {
      return {};
    }
  }
  return object;
}

v8::MaybeLocal<v8::UnboundScript> compiled(v8::Isolate* isolate, OpHost& host, JsBuiltin which) {
  v8::Global<v8::UnboundScript>& cached = host.js_builtins.scripts[static_cast<std::size_t>(which)];
  if (!cached.IsEmpty()) return cached.Get(isolate);
  const BuiltinSource& source = source_of(which);
  v8::Local<v8::String> text;
  v8::Local<v8::String> origin;
  if (!to_v8(isolate, *source.text).ToLocal(&text) ||
      !to_v8(isolate, source.origin).ToLocal(&origin)) {
    return {};
  }
  v8::ScriptOrigin script_origin(isolate, origin);
  // Another isolate of the process may have left its code cache: compiling from it skips
  // parsing and the first compilation of the functions it ran. V8 checks that the cache
  // matches the source and its own version and flags, and compiles anew if not.
  Engine::CodeCacheNeed need =
      host.engine != nullptr ? host.engine->code_cache_for(source.origin) : Engine::CodeCacheNeed{};
  host.js_builtins.make_cache[static_cast<std::size_t>(which)] = need.make_one;
  const Engine::CodeCache& code_cache = need.cache;
  std::unique_ptr<v8::ScriptCompiler::CachedData> cached_data;
  if (code_cache != nullptr) {
    cached_data = std::make_unique<v8::ScriptCompiler::CachedData>(
        code_cache->data(), static_cast<int>(code_cache->size()),
        v8::ScriptCompiler::CachedData::BufferNotOwned);
  }
  const bool from_cache = cached_data != nullptr;
  // The source owns the cached data from here (V8's API takes the raw pointer).
  v8::ScriptCompiler::Source script_source(text, script_origin, cached_data.release());
  v8::Local<v8::UnboundScript> script;
  if (!v8::ScriptCompiler::CompileUnboundScript(isolate, &script_source,
                                                from_cache ? v8::ScriptCompiler::kConsumeCodeCache
                                                           : v8::ScriptCompiler::kNoCompileOptions)
           .ToLocal(&script)) {
    return {};
  }
  if (from_cache) host.engine->count_code_cache_use(!script_source.GetCachedData()->rejected);
  cached.Reset(isolate, script);
  return script;
}

// After a source's first evaluation in an isolate the engine asked for its code cache: the
// cache, with the functions that evaluation compiled, for the process's other isolates.
void keep_code_cache(OpHost& host, JsBuiltin which, v8::Local<v8::UnboundScript> script) {
  bool& asked = host.js_builtins.make_cache[static_cast<std::size_t>(which)];
  if (!asked) return;
  asked = false;
  const char* name = source_of(which).origin;
  std::unique_ptr<v8::ScriptCompiler::CachedData> data(v8::ScriptCompiler::CreateCodeCache(script));
  if (data == nullptr || data->length <= 0) return;
  host.engine->keep_code_cache(name,
                               std::vector<std::uint8_t>(data->data, data->data + data->length));
}

template <JsBuiltin which>
void builtin_global(v8::Local<v8::Name> name, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  auto* host = static_cast<OpHost*>(info.Data().As<v8::External>()->Value());
  v8::Local<v8::Object> exports;
  v8::Local<v8::Value> value;
  if (builtin_exports(context, *host, which).ToLocal(&exports) &&
      exports->Get(context, name).ToLocal(&value)) {
    info.GetReturnValue().Set(value);
  }
}

}  // namespace

v8::MaybeLocal<v8::Object> builtin_exports(v8::Local<v8::Context> context, OpHost& host,
                                           JsBuiltin which) {
  v8::Isolate* isolate = context->GetIsolate();
  const BuiltinSource& source = source_of(which);
  v8::Local<v8::String> key_name;
  if (!to_v8(isolate, source.exports_key).ToLocal(&key_name)) return {};
  v8::Local<v8::Private> key = v8::Private::ForApi(isolate, key_name);
  v8::Local<v8::Object> global = context->Global();
  v8::Local<v8::Value> kept;
  if (!global->GetPrivate(context, key).ToLocal(&kept)) return {};
  if (kept->IsObject()) return kept.As<v8::Object>();

  v8::Local<v8::UnboundScript> unbound;
  v8::Local<v8::Value> factory;
  v8::Local<v8::Object> host_helpers;
  v8::Local<v8::Value> argument;
  v8::Local<v8::Value> exports;
  if (!compiled(isolate, host, which).ToLocal(&unbound) ||
      !unbound->BindToCurrentContext()->Run(context).ToLocal(&factory) || !factory->IsFunction() ||
      !helpers(context, host).ToLocal(&host_helpers)) {
    return {};
  }
  argument = host_helpers;
  if (!factory.As<v8::Function>()
           ->Call(context, v8::Undefined(isolate), 1, &argument)
           .ToLocal(&exports) ||
      !exports->IsObject() || global->SetPrivate(context, key, exports).IsNothing()) {
    return {};
  }
  keep_code_cache(host, which, unbound);
  return exports.As<v8::Object>();
}

v8::MaybeLocal<v8::Value> dom_exception(v8::Local<v8::Context> context, OpHost& host,
                                        std::string_view message, const char* name) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Object> exports;
  v8::Local<v8::Value> constructor;
  v8::Local<v8::Value> arguments[2];
  v8::Local<v8::Object> exception;
  if (!builtin_exports(context, host, JsBuiltin::kWebEvents).ToLocal(&exports) ||
      !exports->Get(context, v8::String::NewFromUtf8Literal(isolate, "DOMException"))
           .ToLocal(&constructor) ||
      !constructor->IsFunction() || !to_v8(isolate, message).ToLocal(&arguments[0]) ||
      !to_v8(isolate, name).ToLocal(&arguments[1]) ||
      !constructor.As<v8::Function>()->NewInstance(context, 2, arguments).ToLocal(&exception)) {
    return {};
  }
  return exception;
}

void throw_dom_exception(v8::Local<v8::Context> context, OpHost& host, std::string_view message,
                         const char* name) {
  v8::Local<v8::Value> exception;
  if (dom_exception(context, host, message, name).ToLocal(&exception)) {
    context->GetIsolate()->ThrowException(exception);
  }
}

namespace {

template <JsBuiltin which>
bool install_globals_of(v8::Local<v8::Context> context, v8::Local<v8::External> host) {
  for (const char* name : source_of(which).globals) {
    if (!set_lazy_global(context, name, &builtin_global<which>, host, v8::DontEnum)) return false;
  }
  return true;
}

}  // namespace

bool install_builtin_globals(v8::Local<v8::Context> context, v8::Local<v8::External> host) {
  return install_globals_of<JsBuiltin::kWebEvents>(context, host) &&
         install_globals_of<JsBuiltin::kUrl>(context, host);
}

}  // namespace krepis

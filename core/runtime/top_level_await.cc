#include "core/runtime/top_level_await.h"

#include <v8-context.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-primitive.h>
#include <v8-script.h>

#include "core/engine/v8_text.h"

namespace krepis {
namespace embedded {
extern const std::string_view kTopLevelAwait;
}  // namespace embedded

bool may_await_at_top_level(std::string_view source) {
  return source.find("await") != std::string_view::npos;
}

std::optional<std::string> rewrite_top_level_await(v8::Isolate* isolate, std::string_view source) {
  v8::HandleScope handles(isolate);
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Context> context = v8::Context::New(isolate);
  if (context.IsEmpty()) return std::nullopt;
  v8::Context::Scope context_scope(context);
  v8::Local<v8::String> bundle;
  v8::Local<v8::String> name;
  v8::Local<v8::String> text;
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> made;
  v8::Local<v8::Value> rewrite;
  v8::Local<v8::Value> rewritten;
  if (!to_v8(isolate, embedded::kTopLevelAwait).ToLocal(&bundle) ||
      !to_v8(isolate, "krepis:top_level_await.js").ToLocal(&name) ||
      !to_v8(isolate, source).ToLocal(&text)) {
    return std::nullopt;
  }
  v8::ScriptOrigin origin(isolate, name);
  v8::Local<v8::Value> no_host = v8::Undefined(isolate);
  v8::Local<v8::Value> argument = text;
  if (!v8::Script::Compile(context, bundle, &origin).ToLocal(&script) ||
      !script->Run(context).ToLocal(&made) || !made->IsFunction() ||
      !made.As<v8::Function>()->Call(context, context->Global(), 1, &no_host).ToLocal(&rewrite) ||
      !rewrite->IsFunction() ||
      !rewrite.As<v8::Function>()->Call(context, context->Global(), 1, &argument).ToLocal(&rewritten) ||
      !rewritten->IsString()) {
    context->DetachGlobal();
    isolate->ContextDisposedNotification();
    return std::nullopt;
  }
  context->DetachGlobal();
  isolate->ContextDisposedNotification();
  return to_utf8(isolate, rewritten.As<v8::String>());
}

}  // namespace krepis

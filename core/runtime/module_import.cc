// import() and import.meta: the half of ModuleGraph that V8 calls while a script runs
// (module_graph.h).
#include <fmt/format.h>
#include <v8-debug.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-microtask-queue.h>
#include <v8-primitive.h>
#include <v8-promise.h>

#include "core/engine/v8_text.h"
#include "core/runtime/module_graph.h"
#include "core/runtime/module_messages.h"

namespace krepis {
namespace {

// Where an import() is: "acme/job.mjs:4:22", the caller's frame; its script's name alone
// when V8 gives no frame.
std::string caller_location(v8::Isolate* isolate, v8::Local<v8::Value> resource_name) {
  v8::Local<v8::StackTrace> trace = v8::StackTrace::CurrentStackTrace(isolate, 1);
  if (trace->GetFrameCount() > 0) {
    v8::Local<v8::StackFrame> frame = trace->GetFrame(isolate, 0);
    v8::Local<v8::String> name = frame->GetScriptNameOrSourceURL();
    if (!name.IsEmpty()) {
      return fmt::format("{}:{}:{}", to_utf8(isolate, name), frame->GetLineNumber(),
                         frame->GetColumn());
    }
  }
  if (resource_name->IsString()) return to_utf8(isolate, resource_name.As<v8::String>());
  return "import()";
}

// An import()'s promise, settled once the module is evaluated: with its namespace (data[1])
// when that went well, with the reason otherwise. Krepis's own functions chained with V8's
// intrinsic then, so no `then` of the script's is called on the way.
void fulfil_import(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Context> context = info.GetIsolate()->GetCurrentContext();
  v8::Local<v8::Array> data = info.Data().As<v8::Array>();
  v8::Local<v8::Value> resolver;
  v8::Local<v8::Value> exports;
  if (data->Get(context, 0).ToLocal(&resolver) && data->Get(context, 1).ToLocal(&exports)) {
    resolver.As<v8::Promise::Resolver>()->Resolve(context, exports).FromMaybe(false);
  }
}

void reject_import(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Context> context = info.GetIsolate()->GetCurrentContext();
  info.Data().As<v8::Promise::Resolver>()->Reject(context, info[0]).FromMaybe(false);
}

}  // namespace

void ModuleGraph::initialize_meta(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                                  v8::Local<v8::Object> meta) {
  v8::Isolate* isolate = context->GetIsolate();
  ModuleGraph* graph = current(isolate);
  const Loaded* loaded = graph != nullptr ? graph->find(module) : nullptr;
  if (loaded == nullptr) return;
  v8::Local<v8::String> url;
  if (!to_v8(isolate, module_url(loaded->path)).ToLocal(&url)) return;
  // Fails only when terminated, which ends the run anyway.
  meta->CreateDataProperty(context, v8::String::NewFromUtf8Literal(isolate, "url"), url)
      .FromMaybe(false);
}

v8::MaybeLocal<v8::Promise> ModuleGraph::import_dynamically(
    v8::Local<v8::Context> context, v8::Local<v8::Data> /*options*/,
    v8::Local<v8::Value> resource_name, v8::Local<v8::String> specifier,
    v8::Local<v8::FixedArray> assertions) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return {};
  const std::string at = caller_location(isolate, resource_name);
  bool json = false;
  std::string why;
  if (!asserts_json(context, assertions, 2, json, why)) {
    bool whole = false;
    const std::string text = utf8_prefix(isolate, specifier, kQuotedBytes, whole);
    v8::Local<v8::String> message;
    if (!to_v8(isolate, fmt::format("{}: cannot import '{}': {}", at, excerpt(text), why))
             .ToLocal(&message)) {
      message = v8::String::NewFromUtf8Literal(isolate, "an import was refused");
    }
    if (resolver->Reject(context, v8::Exception::TypeError(message)).IsNothing()) return {};
    return scope.Escape(resolver->GetPromise());
  }
  // The import runs as a job of the run's own microtask queue, after this call returns, as
  // the language says it must (a module's code never runs inside the import() expression).
  v8::Local<v8::String> at_text;
  if (!to_v8(isolate, at).ToLocal(&at_text)) at_text = v8::String::Empty(isolate);
  v8::Local<v8::Value> name =
      resource_name->IsString() ? resource_name : v8::String::Empty(isolate).As<v8::Value>();
  v8::Local<v8::Value> parts[] = {resolver, specifier, name, v8::Boolean::New(isolate, json),
                                  at_text};
  v8::Local<v8::Function> job;
  if (!v8::Function::New(context, &ModuleGraph::run_import,
                         v8::Array::New(isolate, parts, std::size(parts)), 0,
                         v8::ConstructorBehavior::kThrow)
           .ToLocal(&job)) {
    return {};
  }
  context->GetMicrotaskQueue()->EnqueueMicrotask(isolate, job);
  return scope.Escape(resolver->GetPromise());
}

void ModuleGraph::run_import(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> parts = info.Data().As<v8::Array>();
  v8::Local<v8::Value> resolver_value;
  v8::Local<v8::Value> specifier;
  v8::Local<v8::Value> name;
  v8::Local<v8::Value> json;
  v8::Local<v8::Value> at;
  if (!parts->Get(context, 0).ToLocal(&resolver_value) ||
      !parts->Get(context, 1).ToLocal(&specifier) || !parts->Get(context, 2).ToLocal(&name) ||
      !parts->Get(context, 3).ToLocal(&json) || !parts->Get(context, 4).ToLocal(&at)) {
    return;
  }
  v8::Local<v8::Promise::Resolver> resolver = resolver_value.As<v8::Promise::Resolver>();
  ModuleGraph* graph = current(isolate);
  v8::TryCatch try_catch(isolate);
  if (graph == nullptr) {
    throw_error(isolate, "import() outlived the run that made it");
  } else {
    const std::string referrer_name = to_utf8(isolate, name.As<v8::String>());
    auto known = graph->paths_by_name_.find(referrer_name);
    const std::string referrer = known != graph->paths_by_name_.end() ? known->second : "";
    bool whole = false;
    const std::string text =
        utf8_prefix(isolate, specifier.As<v8::String>(), kMaxSpecifierBytes + 1, whole);
    const bool begun = graph->import(context, referrer, to_utf8(isolate, at.As<v8::String>()),
                                     text, json->IsTrue(), resolver);
    // A refused import() is the script's to catch, never the run's own error.
    graph->refusal_.reset();
    if (begun) return;
  }
  if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) {
    try_catch.ReThrow();
    return;
  }
  // Every failure throws; should one not, the import still settles rather than hang.
  v8::Local<v8::Value> exception =
      try_catch.HasCaught()
          ? try_catch.Exception()
          : v8::Exception::Error(v8::String::NewFromUtf8Literal(isolate, "import() failed"));
  try_catch.Reset();
  resolver->Reject(context, exception).FromMaybe(false);
}

bool ModuleGraph::import(v8::Local<v8::Context> context, const std::string& referrer,
                         const std::string& at, const std::string& specifier, bool json,
                         v8::Local<v8::Promise::Resolver> resolver) {
  v8::HandleScope scope(isolate_);
  const std::size_t mark = loaded_.size();
  bool fresh = false;
  v8::Local<v8::Module> module;
  if (!fetch(context, referrer, at, specifier, json, fresh).ToLocal(&module)) return false;
  if (fresh && !load_imports(context, module, find(module)->path)) {
    forget_since(mark);
    return false;
  }
  if (module->GetStatus() == v8::Module::kUninstantiated &&
      !module->InstantiateModule(context, &ModuleGraph::resolve_linked).FromMaybe(false)) {
    return false;
  }
  v8::Local<v8::Value> evaluation;
  v8::Local<v8::Value> settle_with[] = {resolver, module->GetModuleNamespace()};
  v8::Local<v8::Function> on_fulfilled;
  v8::Local<v8::Function> on_rejected;
  return module->Evaluate(context).ToLocal(&evaluation) && evaluation->IsPromise() &&
         v8::Function::New(context, &fulfil_import,
                           v8::Array::New(isolate_, settle_with, std::size(settle_with)), 1,
                           v8::ConstructorBehavior::kThrow)
             .ToLocal(&on_fulfilled) &&
         v8::Function::New(context, &reject_import, resolver, 1, v8::ConstructorBehavior::kThrow)
             .ToLocal(&on_rejected) &&
         !evaluation.As<v8::Promise>()->Then(context, on_fulfilled, on_rejected).IsEmpty();
}

}  // namespace krepis

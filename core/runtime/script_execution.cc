#include "core/runtime/script_execution.h"

#include <fmt/format.h>
#include <v8-context.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-json.h>
#include <v8-message.h>
#include <v8-microtask-queue.h>
#include <v8-primitive.h>
#include <v8-promise.h>
#include <v8-script.h>

#include <memory>
#include <thread>

#include "core/base/json_syntax.h"
#include "core/engine/v8_text.h"
#include "core/ops/crypto.h"
#include "core/ops/encoding.h"
#include "core/ops/inspect.h"
#include "core/ops/js_builtins.h"
#include "core/ops/lazy_global.h"
#include "core/ops/op_host.h"
#include "core/ops/performance.h"
#include "core/ops/structured_clone.h"
#include "core/ops/timers.h"
#include "core/runtime/isolate_slots.h"
#include "core/runtime/module_graph.h"
#include "core/runtime/own_property.h"
#include "core/runtime/result_json.h"
#include "core/runtime/top_level_await.h"
#include "core/runtime/unhandled_rejections.h"

namespace krepis {
namespace {

// The getter of a lazy global made from an object template: the property's data is the
// sandbox's handle of the template (ContextTemplates), and the object is made in the context
// whose global holds the property.
void instance_on_first_use(v8::Local<v8::Name>, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  const auto* handle =
      static_cast<const v8::Global<v8::ObjectTemplate>*>(info.Data().As<v8::External>()->Value());
  v8::Local<v8::Context> context;
  if (!info.Holder()->GetCreationContext().ToLocal(&context)) return;
  v8::Local<v8::Object> instance;
  if (handle->Get(isolate)->NewInstance(context).ToLocal(&instance)) {
    info.GetReturnValue().Set(instance);
  }
}

// Puts `name` on the global, not enumerable: the template's object, made on first read (a
// script that logs nothing pays nothing for console, 2 % of a trivial run), or at once in a
// kept context, whose properties the REPL's Tab completes without running any getter.
bool install_instance(v8::Local<v8::Context> context, const char* name,
                      const v8::Global<v8::ObjectTemplate>& handle, bool now) {
  v8::Isolate* isolate = context->GetIsolate();
  if (!now) {
    return set_lazy_global(
        context, name, &instance_on_first_use,
        v8::External::New(isolate, const_cast<v8::Global<v8::ObjectTemplate>*>(&handle)),
        v8::DontEnum);
  }
  v8::Local<v8::String> key;
  v8::Local<v8::Object> instance;
  return v8::String::NewFromUtf8(isolate, name, v8::NewStringType::kInternalized).ToLocal(&key) &&
         handle.Get(isolate)->NewInstance(context).ToLocal(&instance) &&
         context->Global()->DefineOwnProperty(context, key, instance, v8::DontEnum).FromMaybe(false);
}

// "script:line:column: Uncaught Error: message", from V8's own message object, which neither
// runs script code nor fails on odd exception values.
std::string describe_exception(v8::Local<v8::Context> context, v8::Local<v8::Value> exception,
                               v8::Local<v8::Message> message, std::string_view prefix = {}) {
  v8::Isolate* isolate = context->GetIsolate();
  if (message.IsEmpty()) message = v8::Exception::CreateMessage(isolate, exception);
  std::string text = to_utf8(isolate, message->Get());
  if (!prefix.empty() && text.starts_with("Uncaught ")) {
    text.insert(sizeof("Uncaught ") - 1, prefix);
  }
  v8::Local<v8::Value> name = message->GetScriptResourceName();
  int line = message->GetLineNumber(context).FromMaybe(0);
  if (name.IsEmpty() || !name->IsString() || line <= 0) return text;
  int column = message->GetStartColumn(context).FromMaybe(0) + 1;
  return fmt::format("{}:{}:{}: {}", to_utf8(isolate, name.As<v8::String>()), line, column, text);
}

}  // namespace

KeptContext::KeptContext() = default;
KeptContext::~KeptContext() = default;

bool ScriptExecution::stopped() const {
  return stop_.tripped() || isolate_->IsExecutionTerminating();
}

bool ScriptExecution::drain(v8::Local<v8::Context> context, v8::MicrotaskQueue& queue,
                            v8::Local<v8::Promise> awaited) {
  OpRun* run = op_host_of(isolate_)->run;
  for (;;) {
    // Each turn's handles go with it: a run of many timer firings holds none of them.
    v8::HandleScope turn(isolate_);
    queue.PerformCheckpoint(isolate_);
    if (stopped()) return false;
    // The run has failed: its timers need not fire.
    if (!awaited.IsEmpty() && awaited->State() == v8::Promise::kRejected) return true;
    if (run->rejections != nullptr && !run->rejections->first_reason(isolate_).IsEmpty()) {
      return true;
    }
    // Tasks (a finished WebAssembly compilation, GC steps) may settle promises.
    if (engine_.run_pending_tasks(isolate_)) continue;
    // While the script's promise is pending, every timer may yet settle it, those that do
    // not keep the run alive (AbortSignal.timeout) included.
    const bool awaiting = !awaited.IsEmpty() && awaited->State() == v8::Promise::kPending;
    std::optional<std::chrono::steady_clock::time_point> due = run->timers.next_due(awaiting);
    auto now = std::chrono::steady_clock::now();
    if (due && *due <= now) {
      if (run->timers.fire_due(context, now) == RunTimers::Fired::kFailed) return false;
      continue;
    }
    if (awaiting && isolate_->HasPendingBackgroundTasks()) {
      // Work on V8's worker threads (compilation, marking) may still settle the promise;
      // look again soon, or when the next timer is due. The deadline bounds this.
      auto until = now + std::chrono::microseconds(100);
      if (due && *due < until) until = *due;
      std::this_thread::sleep_until(until);
      continue;
    }
    if (!due) return true;
    // The deadline's guard trips the signal, which ends the wait.
    if (stop_.sleep_until(*due)) return false;
  }
}

ExecutionResult ScriptExecution::run(const Job& job, const ContextTemplates& templates,
                                     KeptContext* kept) {
  if (kept != nullptr && !kept->context.IsEmpty()) {
    v8::Local<v8::Context> context = kept->context.Get(isolate_);
    v8::Context::Scope context_scope(context);
    return in_context(job, templates, context, *kept->queue, kept->stringify.Get(isolate_), false,
                      kept);
  }
  // A queue per context: whatever the run leaves pending dies with it.
  std::unique_ptr<v8::MicrotaskQueue> queue =
      v8::MicrotaskQueue::New(isolate_, v8::MicrotasksPolicy::kExplicit);
  v8::Local<v8::Context> context =
      // No global template: with one, V8 makes a constructor template for the global object
      // in every new context (about 5 % of a trivial run).
      v8::Context::New(isolate_, nullptr, {}, {}, {}, queue.get());
  if (context.IsEmpty()) {
    return {};  // only termination makes this fail: the caller reports the guard
  }
  ExecutionResult result;
  v8::Local<v8::Function> stringify;
  {
    v8::Context::Scope context_scope(context);
    // Empty only when terminated: the run then ends before it would be used.
    stringify = intrinsic_stringify(context).FromMaybe(v8::Local<v8::Function>());
    result = in_context(job, templates, context, *queue, stringify, true, kept);
  }
  // A context whose JSON.stringify could not be taken (terminated at once) is not kept: every
  // later entry would lack it.
  if (kept != nullptr && !stringify.IsEmpty()) {
    kept->context.Reset(isolate_, context);
    kept->queue = std::move(queue);
    kept->stringify.Reset(isolate_, stringify);
    return result;
  }
  // Detaching clears the context's microtask queue pointer, so a late task (an async
  // WebAssembly compilation finishing) can never enqueue into the queue we free below.
  context->DetachGlobal();
  isolate_->ContextDisposedNotification();
  return result;
}

bool ScriptExecution::prepare_globals(const Job& job, const ContextTemplates& templates,
                                      v8::Local<v8::Context> context, bool kept,
                                      ExecutionResult& result) {
  v8::Local<v8::Object> global = context->Global();
  // The sandbox's host, wrapped once for the getters of every lazy web global.
  v8::Local<v8::External> host = v8::External::New(isolate_, op_host_of(isolate_));
  v8::Local<v8::String> key;
  // Callbacks that run when the GC or a timer decides, outside any run's deadline and
  // possibly during a later run, are absent rather than half-contained:
  // FinalizationRegistry, and Atomics.waitAsync (its timeout is a platform timer).
  v8::Local<v8::Value> atomics;
  if (!to_v8(isolate_, "FinalizationRegistry").ToLocal(&key) ||
      global->Delete(context, key).IsNothing() || !to_v8(isolate_, "Atomics").ToLocal(&key) ||
      !global->Get(context, key).ToLocal(&atomics) || !atomics->IsObject() ||
      !to_v8(isolate_, "waitAsync").ToLocal(&key) ||
      atomics.As<v8::Object>()->Delete(context, key).IsNothing() ||
      // V8's global has a console already: in its place, and as it is, not enumerable.
      !install_instance(context, "console", *templates.console, kept) ||
      !install_instance(context, "krepis", *templates.krepis, kept) ||
      !install_encoding_globals(context, host) || !install_clone_globals(context, host) ||
      !install_performance_global(context, host) || !install_timer_globals(context, host) ||
      !install_builtin_globals(context, host) || !install_crypto_global(context, host)) {
    return false;
  }
  return install_input(job, context, result);
}

bool ScriptExecution::install_input(const Job& job, v8::Local<v8::Context> context,
                                    ExecutionResult& result) {
  if (!job.input_json) return true;
  v8::Local<v8::String> text;
  v8::Local<v8::Value> input;
  v8::Local<v8::String> key;
  if (!to_v8(isolate_, *job.input_json).ToLocal(&text) ||
      !v8::JSON::Parse(context, text).ToLocal(&input) || !to_v8(isolate_, "input").ToLocal(&key) ||
      // Defined, not set: in a kept context a setter of the script's may sit there.
      !context->Global()->DefineOwnProperty(context, key, input).FromMaybe(false)) {
    if (!stopped()) {
      result.denied = true;
      result.error = json_syntax_error(job.input_name, *job.input_json)
                         .value_or(job.input_name + ": not a JSON value V8 can parse");
    }
    return false;
  }
  return true;
}

void ScriptExecution::remember_result(v8::Local<v8::Context> context, KeptContext& kept,
                                      v8::Local<v8::Value> value) {
  if (kept.underscore_taken) return;
  v8::Local<v8::Object> global = context->Global();
  v8::Local<v8::String> key;
  if (!to_v8(isolate_, "_").ToLocal(&key)) return;
  // `_` is ours while it is absent, or a data property holding what we put there.
  v8::Local<v8::Value> current;
  const OwnProperty held = own_property(context, global, key, current);
  if (held == OwnProperty::kOther && stopped()) return;  // V8 said nothing: terminated
  if (held == OwnProperty::kOther ||
      (held == OwnProperty::kData &&
       (kept.underscore.IsEmpty() || !current->SameValue(kept.underscore.Get(isolate_))))) {
    kept.underscore_taken = true;
    kept.underscore.Reset();  // the script's `_` now; ours must not keep a value alive
    return;
  }
  if (global->DefineOwnProperty(context, key, value, v8::DontEnum).FromMaybe(false)) {
    kept.underscore.Reset(isolate_, value);
  }
}

ExecutionResult ScriptExecution::in_context(const Job& job, const ContextTemplates& templates,
                                            v8::Local<v8::Context> context,
                                            v8::MicrotaskQueue& queue,
                                            v8::Local<v8::Function> stringify, bool fresh,
                                            KeptContext* kept) {
  ExecutionResult result;
  v8::TryCatch try_catch(isolate_);
  if (fresh && !prepare_globals(job, templates, context, kept != nullptr, result)) return result;
  // A kept context had its globals made by its first entry; a later one may bring an input.
  if (!fresh && !install_input(job, context, result)) return result;

  // This context's modules: the kept context's graph, or one for this run alone.
  std::optional<ModuleGraph> run_graph;
  ModuleGraph* graph = nullptr;
  const std::size_t max_module_bytes = op_host_of(isolate_)->grants.max_module_bytes;
  if (kept != nullptr) {
    if (kept->modules == nullptr) {
      kept->modules = std::make_unique<ModuleGraph>(isolate_, job, max_module_bytes);
    }
    graph = kept->modules.get();
    graph->enter(job);
  } else {
    graph = &run_graph.emplace(isolate_, job, max_module_bytes);
  }
  ModuleGraph::Serving serving(isolate_, *graph);

  if (job.module) return run_module(job, context, queue, stringify, *graph, try_catch, kept);
  v8::Local<v8::String> source;
  v8::Local<v8::String> name;
  if (!to_v8(isolate_, job.source).ToLocal(&source) ||
      !to_v8(isolate_, job.script_name).ToLocal(&name)) {
    if (!stopped()) result.error = fmt::format("{}: script too large for V8", job.script_name);
    return result;
  }
  v8::ScriptOrigin origin(isolate_, name);
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> value;
  // The REPL's top-level await: an entry that awaits outside its functions runs rewritten
  // (same lines), its value carried in an object's `value`.
  std::optional<std::string> rewritten;
  if (job.remember_result && may_await_at_top_level(job.source)) {
    rewritten = rewrite_top_level_await(isolate_, job.source);
    if (stopped()) return result;
  }
  bool compiled = false;
  if (v8::Local<v8::String> rewritten_source;
      rewritten && to_v8(isolate_, *rewritten).ToLocal(&rewritten_source)) {
    v8::ScriptOrigin shifted(isolate_, name, -1);  // its first line is the rewrite's
    compiled = v8::Script::Compile(context, rewritten_source, &shifted).ToLocal(&script);
  } else {
    rewritten.reset();
    compiled = v8::Script::Compile(context, source, &origin).ToLocal(&script);
  }
  if (!compiled) {
    caught(context, try_catch, result);
    // Module syntax in a classic script: say how to run it as a module.
    if (result.error && (result.error->ends_with("Cannot use import statement outside a module") ||
                         result.error->ends_with("Cannot use 'import.meta' outside a module") ||
                         result.error->ends_with("Unexpected token 'export'"))) {
      *result.error += job.remember_result
                           ? " (in the REPL, import with: const m = await import('./file.mjs'))"
                           : " (run it as an ES module: name it .mjs, or give --module)";
    }
    return result;
  }
  if (!script->Run(context).ToLocal(&value)) {
    caught(context, try_catch, result);
    return result;
  }
  if (!settle(context, queue, try_catch, value, result, "(in promise) ")) return result;
  if (rewritten) {
    // {value: ...}, an object literal of the rewrite: its own data property, read as such.
    v8::Local<v8::String> value_key;
    v8::Local<v8::Value> carried;
    if (value->IsObject() && to_v8(isolate_, "value").ToLocal(&value_key) &&
        value.As<v8::Object>()->GetRealNamedProperty(context, value_key).ToLocal(&carried)) {
      value = carried;
    } else {
      value = v8::Undefined(isolate_);  // the entry ended in no expression
    }
  }
  if (kept != nullptr && job.remember_result) remember_result(context, *kept, value);
  finish(job, context, stringify, try_catch, value, result);
  return result;
}

void ScriptExecution::caught(v8::Local<v8::Context> context, const v8::TryCatch& try_catch,
                             ExecutionResult& result) {
  if (stopped() || !try_catch.HasCaught()) return;
  result.error = describe_exception(context, try_catch.Exception(), try_catch.Message());
  result.error_detail = error_detail(context, try_catch.Exception(), try_catch.Message());
}

bool ScriptExecution::settle(v8::Local<v8::Context> context, v8::MicrotaskQueue& queue,
                             const v8::TryCatch& try_catch, v8::Local<v8::Value>& value,
                             ExecutionResult& result, std::string_view prefix) {
  v8::Local<v8::Promise> awaited;
  if (value->IsPromise()) awaited = value.As<v8::Promise>();
  if (!drain(context, queue, awaited)) {
    caught(context, try_catch, result);  // a timer's function threw
    return false;
  }
  // An unhandled rejection fails the run, even while the script's own promise is pending
  // (the loop stopped for it).
  OpHost* host = op_host_of(isolate_);
  if (host->run != nullptr && host->run->rejections != nullptr) {
    v8::Local<v8::Value> reason = host->run->rejections->first_reason(isolate_);
    if (!reason.IsEmpty()) {
      result.error = describe_exception(context, reason, {}, "(in promise) ");
      result.error_detail = error_detail(context, reason, {});
      return false;
    }
  }
  if (awaited.IsEmpty()) return true;
  switch (awaited->State()) {
    case v8::Promise::kPending:
      result.unsettled = true;
      return false;
    case v8::Promise::kRejected:
      result.error = describe_exception(context, awaited->Result(), {}, prefix);
      result.error_detail = error_detail(context, awaited->Result(), {});
      return false;
    case v8::Promise::kFulfilled:
      value = awaited->Result();
      return true;
  }
  return false;
}

ExecutionResult ScriptExecution::run_module(const Job& job, v8::Local<v8::Context> context,
                                            v8::MicrotaskQueue& queue,
                                            v8::Local<v8::Function> stringify, ModuleGraph& graph,
                                            const v8::TryCatch& try_catch, KeptContext* kept) {
  ExecutionResult result;
  v8::Local<v8::Module> module;
  v8::Local<v8::Value> value;
  if (!graph.instantiate_entry(context, job).ToLocal(&module)) {
    // A refused import is said where it is, as every uncaught error is: "file:line:column:
    // Uncaught Error: cannot import ...".
    std::optional<ModuleGraph::Refusal> refusal = graph.take_refusal();
    if (refusal && !stopped()) {
      result.error = fmt::format("{}: Uncaught Error: {}", refusal->at, refusal->what);
    } else {
      caught(context, try_catch, result);
    }
    return result;
  }
  if (!module->Evaluate(context).ToLocal(&value)) {
    caught(context, try_catch, result);
    return result;
  }
  // The evaluation's promise is krepis's to read: its rejection is the module's own
  // uncaught error (no "in promise"), not a rejection the script left unhandled. One that
  // threw before it awaited anything is rejected already, and was seen as unhandled.
  if (value->IsPromise()) {
    v8::Local<v8::Promise> evaluation = value.As<v8::Promise>();
    evaluation->MarkAsHandled();
    if (evaluation->State() == v8::Promise::kRejected) {
      result.error = describe_exception(context, evaluation->Result(), {});
      result.error_detail = error_detail(context, evaluation->Result(), {});
      return result;
    }
  }
  if (!settle(context, queue, try_catch, value, result, "")) return result;
  v8::Local<v8::Object> exports = module->GetModuleNamespace().As<v8::Object>();
  v8::Local<v8::String> key = v8::String::NewFromUtf8Literal(isolate_, "default");
  // A namespace's properties are its exports' bindings: reading one runs no script code.
  if (exports->HasOwnProperty(context, key).FromMaybe(false)) {
    result.result_from = "default export";
    if (!exports->Get(context, key).ToLocal(&value)) {
      caught(context, try_catch, result);
      return result;
    }
    if (!settle(context, queue, try_catch, value, result, "(in promise) ")) return result;
  } else {
    result.result_from = "module evaluation";
    value = v8::Undefined(isolate_);
  }
  if (kept != nullptr && job.remember_result) remember_result(context, *kept, value);
  finish(job, context, stringify, try_catch, value, result);
  return result;
}

void ScriptExecution::finish(const Job& job, v8::Local<v8::Context> context,
                             v8::Local<v8::Function> stringify, const v8::TryCatch& try_catch,
                             v8::Local<v8::Value> value, ExecutionResult& result) {
  // A value past the cap must not be turned into an even larger string.
  if (!heap_guard_.check_now()) return;

  if (job.inspect_result) {
    result.result_text = inspect(context, value);
    if (!result.result_text) return;  // terminated meanwhile
  }
  if (stringify.IsEmpty()) return;  // terminated before the run began
  result.result_type = krepis::result_type(value);
  auto too_big = [&](std::size_t bytes) {
    result.error =
        fmt::format("result is {} bytes of JSON, over the limit of {} bytes", bytes, kMaxResultBytes);
  };
  if (value->IsString()) {
    // Every character is a byte of JSON at least: a longer string is refused before anything
    // is made of it (JSON.stringify would build the whole text in the heap, uninterruptibly).
    const auto characters = static_cast<std::size_t>(value.As<v8::String>()->Length());
    if (characters > kMaxResultBytes) {
      result.error = fmt::format("result is a string of {} characters, over the limit of {} bytes "
                                 "of JSON",
                                 characters, kMaxResultBytes);
      return;
    }
    if (std::optional<StringJson> json =
            one_byte_string_json(isolate_, value.As<v8::String>(), kMaxResultBytes)) {
      if (!json->text) return too_big(json->bytes);
      result.result_json = std::move(json->text);
      return;
    }
    const std::size_t bytes = two_byte_string_json_bytes(isolate_, value.As<v8::String>());
    if (bytes > kMaxResultBytes) return too_big(bytes);
  }
  v8::Local<v8::String> json;
  if (!result_json(context, stringify, value).ToLocal(&json)) {
    // Shown by inspection, a value JSON cannot hold is no failure.
    if (job.inspect_result && !stopped()) return;
    if (!stopped() && try_catch.HasCaught()) {
      result.error = "result is not JSON-serialisable: " +
                     describe_exception(context, try_catch.Exception(), try_catch.Message());
    }
    return;
  }
  const auto bytes = static_cast<std::size_t>(json->Utf8Length(isolate_));
  if (bytes > kMaxResultBytes) return too_big(bytes);
  result.result_json = to_utf8(isolate_, json);
}

}  // namespace krepis

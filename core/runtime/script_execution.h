// One script in one fresh context: create the context, expose the input, compile, run,
// await the completion value, drain microtasks, turn the value into JSON, and detach the
// context so nothing of it is reachable afterwards. The caller (the sandbox) holds the locks,
// has armed the deadline and decides the run's outcome.
#pragma once

#include <v8-exception.h>
#include <v8-function.h>
#include <v8-isolate.h>
#include <v8-microtask-queue.h>
#include <v8-persistent-handle.h>
#include <v8-template.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/job.h"
#include "core/base/stop_signal.h"
#include "core/engine/engine.h"
#include "core/runtime/error_detail.h"
#include "core/runtime/heap_guard.h"

namespace krepis {

class ModuleGraph;

// What every context is made from: built once per isolate, so a run builds no templates.
// The sandbox's own handles, which live as long as its isolate: `console` and `krepis` are
// made from them when a run's context first reads them (a kept context's at once).
struct ContextTemplates {
  const v8::Global<v8::ObjectTemplate>* console;
  const v8::Global<v8::ObjectTemplate>* krepis;  // the ops the tenant's tier grants
};

// A context kept from run to run (a REPL session's), with its microtask queue.
struct KeptContext {
  v8::Global<v8::Context> context;
  std::unique_ptr<v8::MicrotaskQueue> queue;
  // Its JSON.stringify as it was before any script ran (result_json.h).
  v8::Global<v8::Function> stringify;
  // The value last given to the global `_` (Job::remember_result); once the script gives
  // `_` another, `_` is the script's and is left alone.
  v8::Global<v8::Value> underscore;
  bool underscore_taken = false;
  // The modules its entries imported (made by the first entry): a kept context keeps them
  // as it keeps its globals.
  std::unique_ptr<ModuleGraph> modules;
  KeptContext();
  ~KeptContext();
};

struct ExecutionResult {
  // JSON text of the completion value (result_json.h), and its kind; set only when the
  // script succeeded.
  std::optional<std::string> result_json;
  std::optional<std::string> result_type;
  // The completion value as console.log shows it, when the job asked for it.
  std::optional<std::string> result_text;
  // "script:line:column: message" of an uncaught exception, syntax error or rejection.
  std::optional<std::string> error;
  // A module's: where its result came from, "default export" or "module evaluation" (it
  // exports no default: the result is undefined, once its top-level await is done).
  std::optional<std::string> result_from;
  // Its source line, stack and causes, for the script's author.
  ErrorDetail error_detail;
  // The completion value is a promise that nothing left to run could ever settle.
  bool unsettled = false;
  // The run was refused before the script ran (its input is not JSON); `error` says why.
  bool denied = false;
};

// Results larger than this are refused: one line of the report must stay printable.
inline constexpr std::size_t kMaxResultBytes = 16 * 1024 * 1024;

class ScriptExecution {
 public:
  ScriptExecution(v8::Isolate* isolate, Engine& engine, HeapGuard& heap_guard,
                  const StopSignal& stop)
      : isolate_(isolate), engine_(engine), heap_guard_(heap_guard), stop_(stop) {}

  // Needs a HandleScope; leaves termination, if any, for the caller to cancel. With `kept`,
  // the run uses the kept context, or makes one and keeps it there; without, the context
  // is fresh and detached afterwards.
  ExecutionResult run(const Job& job, const ContextTemplates& templates,
                      KeptContext* kept = nullptr);

 private:
  // The run's event loop: microtasks, the isolate's pending tasks, and the run's timers as
  // they fall due, until nothing is left that could run, the awaited promise (if any) is
  // rejected, or a rejection goes unhandled. False if a guard stopped the run or a timer's
  // function threw (the caller's TryCatch has it).
  bool drain(v8::Local<v8::Context> context, v8::MicrotaskQueue& queue,
             v8::Local<v8::Promise> awaited);
  bool stopped() const;
  // `stringify`: the context's own JSON.stringify, taken before any script ran in it.
  // `kept`: the kept context's state when `context` is it (new or not), else null.
  ExecutionResult in_context(const Job& job, const ContextTemplates& templates,
                             v8::Local<v8::Context> context, v8::MicrotaskQueue& queue,
                             v8::Local<v8::Function> stringify, bool fresh, KeptContext* kept);
  // A module job: its graph loaded and instantiated, evaluated, awaited; the result its
  // awaited default export.
  ExecutionResult run_module(const Job& job, v8::Local<v8::Context> context,
                             v8::MicrotaskQueue& queue, v8::Local<v8::Function> stringify,
                             ModuleGraph& graph, const v8::TryCatch& try_catch,
                             KeptContext* kept);
  // Runs the event loop until `value`, if a promise, settles; `value` becomes what it was
  // fulfilled with. False when the run failed (the error in `result`, a rejection's with
  // `prefix`), the promise stayed pending (`unsettled`), or a guard stopped it.
  bool settle(v8::Local<v8::Context> context, v8::MicrotaskQueue& queue,
              const v8::TryCatch& try_catch, v8::Local<v8::Value>& value,
              ExecutionResult& result, std::string_view prefix);
  // The error `try_catch` caught, into `result`, unless the run was stopped.
  void caught(v8::Local<v8::Context> context, const v8::TryCatch& try_catch,
              ExecutionResult& result);
  // The settled value as the result: its kind, JSON (and inspection when asked).
  void finish(const Job& job, v8::Local<v8::Context> context, v8::Local<v8::Function> stringify,
              const v8::TryCatch& try_catch, v8::Local<v8::Value> value,
              ExecutionResult& result);
  // Replaces or removes the globals a run must (not) have; false if stopped meanwhile. A
  // kept context (a REPL session's) gets `console` and `krepis` made at once, so that Tab
  // completes their properties before any entry has read them.
  bool prepare_globals(const Job& job, const ContextTemplates& templates,
                       v8::Local<v8::Context> context, bool kept, ExecutionResult& result);
  // Sets the global `input` from the job's JSON; false (the run denied, unless stopped) when
  // it is not JSON.
  bool install_input(const Job& job, v8::Local<v8::Context> context, ExecutionResult& result);
  // The kept context's `_` becomes `value`, unless the script has taken `_` for itself.
  void remember_result(v8::Local<v8::Context> context, KeptContext& kept,
                       v8::Local<v8::Value> value);

  v8::Isolate* isolate_;
  Engine& engine_;
  HeapGuard& heap_guard_;
  const StopSignal& stop_;
};

}  // namespace krepis

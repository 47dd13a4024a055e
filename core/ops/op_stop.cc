#include "core/ops/op_stop.h"

#include <v8-context.h>
#include <v8-primitive.h>
#include <v8-script.h>

#include <chrono>

namespace krepis {

bool run_is_due(v8::Isolate* isolate, const OpRun& run) {
  return run.stop->tripped() || isolate->IsExecutionTerminating() ||
         std::chrono::steady_clock::now() >= run.started + run.deadline;
}

bool stop_if_due(v8::Isolate* isolate, OpRun& run) {
  if (!run_is_due(isolate, run)) return false;
  if (isolate->IsExecutionTerminating()) return true;  // it is unwinding already
  run.stop->trip(StopReason::kDeadline);               // the first guard's reason stays
  isolate->TerminateExecution();
  // Entering JavaScript checks for termination at once: it lands here, and unwinds through
  // the op as soon as the op returns.
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::String> source = v8::String::NewFromUtf8Literal(isolate, "0");
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> ignored;
  if (v8::Script::Compile(context, source).ToLocal(&script) &&
      script->Run(context).ToLocal(&ignored)) {
    // Not reached while termination is requested; nothing to do with "0" either way.
  }
  return true;
}

}  // namespace krepis

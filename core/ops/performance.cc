#include "core/ops/performance.h"

#include <v8-external.h>
#include <v8-function.h>

#include <chrono>
#include <cmath>

#include "core/ops/lazy_global.h"
#include "core/ops/op_call.h"
#include "core/ops/op_host.h"

namespace krepis {
namespace {

double coarse(double ms) {
  return std::floor(ms / kPerformanceResolutionMs) * kPerformanceResolutionMs;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

void now(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "performance.now");
  if (!call.active()) return;
  call.set_result(call.number(coarse(ms_since(call.run().started))));
}

// The `performance` object, made when a run first reads it.
void make_performance(v8::Local<v8::Name>, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  auto* host = static_cast<OpHost*>(info.Data().As<v8::External>()->Value());
  if (host->run == nullptr) return;
  // The wall-clock time the run began: now, less what the steady clock says has passed.
  const double origin =
      std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch())
          .count() -
      ms_since(host->run->started);
  v8::Local<v8::Object> performance = v8::Object::New(isolate);
  v8::Local<v8::Function> now_function;
  if (!v8::Function::New(context, &now, info.Data(), 0, v8::ConstructorBehavior::kThrow)
           .ToLocal(&now_function) ||
      performance->Set(context, v8::String::NewFromUtf8Literal(isolate, "now"), now_function)
          .IsNothing() ||
      performance
          ->Set(context, v8::String::NewFromUtf8Literal(isolate, "timeOrigin"),
                v8::Number::New(isolate, coarse(origin)))
          .IsNothing()) {
    return;
  }
  info.GetReturnValue().Set(performance);
}

}  // namespace

bool install_performance_global(v8::Local<v8::Context> context, v8::Local<v8::External> host) {
  return set_lazy_global(context, "performance", &make_performance, host);
}

}  // namespace krepis

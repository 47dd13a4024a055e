#include "core/ops/timers.h"

#include <fmt/format.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-primitive.h>

#include <cmath>

#include "core/ops/lazy_global.h"
#include "core/ops/op_call.h"
#include "core/ops/op_host.h"

namespace krepis {

RunTimers::~RunTimers() {
  if (isolate_ != nullptr && accounted_bytes_ != 0) {
    isolate_->AdjustAmountOfExternalAllocatedMemory(-accounted_bytes_);
  }
}

void RunTimers::account(v8::Isolate* isolate) {
  isolate_ = isolate;
  const auto held = static_cast<std::int64_t>(queue_.held_bytes());
  if (held != accounted_bytes_) {
    isolate->AdjustAmountOfExternalAllocatedMemory(held - accounted_bytes_);
    accounted_bytes_ = held;
  }
}

TimerQueue::Id RunTimers::add(v8::Local<v8::Context> context, v8::Local<v8::Function> function,
                              v8::Local<v8::Array> arguments, TimerQueue::Duration delay,
                              bool repeating, bool keeps_run_alive) {
  v8::Isolate* isolate = context->GetIsolate();
  if (calls_.IsEmpty()) calls_.Reset(isolate, v8::Map::New(isolate));
  std::optional<TimerQueue::Id> id =
      queue_.add(std::chrono::steady_clock::now(), delay, repeating, keeps_run_alive);
  if (!id) return 0;
  v8::Local<v8::Value> call = function;
  if (arguments->Length() > 0) {
    // [function, ...arguments]: one array rather than a second map.
    v8::Local<v8::Array> both = v8::Array::New(isolate, static_cast<int>(arguments->Length() + 1));
    if (both->Set(context, 0, function).IsNothing()) return 0;
    for (std::uint32_t i = 0; i < arguments->Length(); ++i) {
      v8::Local<v8::Value> argument;
      if (!arguments->Get(context, i).ToLocal(&argument) ||
          both->Set(context, i + 1, argument).IsNothing()) {
        return 0;
      }
    }
    call = both;
  }
  if (calls_.Get(isolate)->Set(context, v8::Integer::NewFromUnsigned(isolate, *id), call).IsEmpty()) {
    queue_.cancel(*id);
    return 0;
  }
  account(isolate);
  return *id;
}

void RunTimers::cancel(v8::Local<v8::Context> context, TimerQueue::Id id) {
  if (!queue_.cancel(id)) return;
  v8::Isolate* isolate = context->GetIsolate();
  if (calls_.Get(isolate)->Delete(context, v8::Integer::NewFromUnsigned(isolate, id)).IsNothing()) {
    return;  // terminated: the run ends and its calls with it
  }
  account(isolate);
}

RunTimers::Fired RunTimers::fire_due(v8::Local<v8::Context> context, TimerQueue::Time now) {
  std::optional<TimerQueue::Id> id = queue_.take_due(now);
  if (!id) return Fired::kNone;
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Map> calls = calls_.Get(isolate);
  v8::Local<v8::Value> key = v8::Integer::NewFromUnsigned(isolate, *id);
  v8::Local<v8::Value> call;
  if (!calls->Get(context, key).ToLocal(&call)) return Fired::kFailed;
  if (!call->IsFunction() && !call->IsArray()) return Fired::kNone;  // only add() writes it
  // A one-shot timer is gone before its function runs: clearing it there changes nothing.
  if (!queue_.contains(*id) && calls->Delete(context, key).IsNothing()) return Fired::kFailed;
  account(isolate);
  v8::Local<v8::Function> function;
  std::vector<v8::Local<v8::Value>> arguments;
  if (call->IsFunction()) {
    function = call.As<v8::Function>();
  } else {
    v8::Local<v8::Array> both = call.As<v8::Array>();
    v8::Local<v8::Value> value;
    if (!both->Get(context, 0).ToLocal(&value)) return Fired::kFailed;
    function = value.As<v8::Function>();
    arguments.reserve(both->Length() - 1);
    for (std::uint32_t i = 1; i < both->Length(); ++i) {
      if (!both->Get(context, i).ToLocal(&value)) return Fired::kFailed;
      arguments.push_back(value);
    }
  }
  v8::Local<v8::Value> ignored;
  return function
                 ->Call(context, context->Global(), static_cast<int>(arguments.size()),
                        arguments.data())
                 .ToLocal(&ignored)
             ? Fired::kRan
             : Fired::kFailed;
}

namespace {

// Node's reading of a delay: a number (or a numeric string) from 1 to 2^31 - 1 ms, else 1 ms.
// No valueOf or toString of the script's runs here.
TimerQueue::Duration delay_of(v8::Local<v8::Context> context, v8::Local<v8::Value> value) {
  double ms = NAN;
  if (value->IsNumber() || value->IsString()) ms = value->NumberValue(context).FromMaybe(NAN);
  if (!(ms >= 1 && ms <= 2147483647.0)) ms = 1;
  return TimerQueue::Duration(static_cast<std::int64_t>(ms));
}

template <bool repeating>
void set_timer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, repeating ? "setInterval" : "setTimeout");
  if (!call.active()) return;
  if (!info[0]->IsFunction()) {
    // Browsers would compile a string here: code from a string is not a timer's job.
    call.type_error(fmt::format("the callback must be a function, got {}",
                                describe_type(call.isolate(), info[0])));
    return;
  }
  v8::Local<v8::Array> arguments = v8::Array::New(call.isolate(), std::max(0, info.Length() - 2));
  for (int i = 2; i < info.Length(); ++i) {
    if (arguments->Set(call.context(), static_cast<std::uint32_t>(i - 2), info[i]).IsNothing()) {
      return;
    }
  }
  const std::size_t most = call.host().allocator->cap() / RunTimers::kCapBytesPerTimer;
  if (call.run().timers.live() >= most) {
    v8::Local<v8::String> message;
    if (v8::String::NewFromUtf8(
            call.isolate(),
            fmt::format("{}: {} timers are live, as many as a heap cap of {} MiB allows",
                        repeating ? "setInterval" : "setTimeout", most,
                        call.host().allocator->cap() >> 20)
                .c_str())
            .ToLocal(&message)) {
      call.isolate()->ThrowException(v8::Exception::RangeError(message));
    }
    return;
  }
  TimerQueue::Id id =
      call.run().timers.add(call.context(), info[0].As<v8::Function>(), arguments,
                            delay_of(call.context(), info[1]), repeating);
  if (id == 0) {
    if (!call.should_stop()) call.type_error("this run has set as many timers as it may");
    return;
  }
  call.set_result(call.number(id));
}

void clear_timer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "clearTimeout");
  if (!call.active()) return;
  // Anything but a timer id (undefined, a stale id, an object) clears nothing, as specified.
  if (!info[0]->IsNumber()) return;
  const double id = info[0].As<v8::Number>()->Value();
  if (id >= 1 && id <= TimerQueue::kMaxId && id == std::floor(id)) {
    call.run().timers.cancel(call.context(), static_cast<TimerQueue::Id>(id));
  }
}

}  // namespace

bool install_timer_globals(v8::Local<v8::Context> context, v8::Local<v8::External> host) {
  return set_lazy_global(context, "setTimeout", &function_on_first_use<&set_timer<false>, 1>,
                         host) &&
         set_lazy_global(context, "setInterval", &function_on_first_use<&set_timer<true>, 1>,
                         host) &&
         set_lazy_global(context, "clearTimeout", &function_on_first_use<&clear_timer, 0>, host) &&
         set_lazy_global(context, "clearInterval", &function_on_first_use<&clear_timer, 0>, host);
}

}  // namespace krepis

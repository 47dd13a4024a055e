#include "core/ops/timers.h"

#include <fmt/format.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-primitive.h>

#include <cmath>
#include <vector>

#include "core/engine/capped_allocator.h"
#include "core/ops/lazy_global.h"
#include "core/ops/op_call.h"
#include "core/ops/op_host.h"

namespace krepis {

void RunTimers::clear() {
  calls_.Reset();
  queue_ = TimerQueue{};
  if (allocator_ != nullptr) allocator_->discharge(charged_bytes_);
  charged_bytes_ = 0;
}

bool RunTimers::account() {
  const std::size_t held = queue_.held_bytes();
  if (held > charged_bytes_) {
    if (!allocator_->charge(held - charged_bytes_)) return false;
  } else {
    allocator_->discharge(charged_bytes_ - held);
  }
  charged_bytes_ = held;
  return true;
}

namespace {

void throw_range_error(v8::Isolate* isolate, const std::string& message) {
  v8::Local<v8::String> text;
  if (v8::String::NewFromUtf8(isolate, message.c_str()).ToLocal(&text)) {
    isolate->ThrowException(v8::Exception::RangeError(text));
  }
}

}  // namespace

TimerQueue::Id RunTimers::add(v8::Local<v8::Context> context, CappedAllocator& allocator,
                              const char* op_name, v8::Local<v8::Function> function,
                              std::span<const v8::Local<v8::Value>> arguments,
                              TimerQueue::Duration delay, bool repeating, bool keeps_run_alive) {
  v8::Isolate* isolate = context->GetIsolate();
  allocator_ = &allocator;
  const std::size_t most = allocator.cap() / kCapBytesPerTimer;
  if (queue_.live() >= most) {
    throw_range_error(isolate,
                      fmt::format("{}: {} timers are live, as many as a heap cap of {} MiB allows",
                                  op_name, most, allocator.cap() >> 20));
    return 0;
  }
  if (calls_.IsEmpty()) calls_.Reset(isolate, v8::Map::New(isolate));
  std::optional<TimerQueue::Id> id =
      queue_.add(std::chrono::steady_clock::now(), delay, repeating, keeps_run_alive);
  if (!id) {
    throw_range_error(
        isolate, fmt::format("{}: this run has set as many timers as it may (2^31 - 1)", op_name));
    return 0;
  }
  if (!account()) {
    queue_.cancel(*id);
    account();  // gives back what the queue no longer holds
    throw_range_error(isolate,
                      fmt::format("{}: the heap cap has no room for another timer", op_name));
    return 0;
  }
  v8::Local<v8::Value> call = function;
  if (!arguments.empty()) {
    // [function, ...arguments], made from the values: Array::New(isolate, elements) sets no
    // element through the prototype, so no setter of the script's ever sees this array.
    std::vector<v8::Local<v8::Value>> both;
    both.reserve(arguments.size() + 1);
    both.push_back(function);
    both.insert(both.end(), arguments.begin(), arguments.end());
    call = v8::Array::New(isolate, both.data(), both.size());
  }
  if (calls_.Get(isolate)
          ->Set(context, v8::Integer::NewFromUnsigned(isolate, *id), call)
          .IsEmpty()) {
    queue_.cancel(*id);
    account();
    return 0;
  }
  return *id;
}

void RunTimers::cancel(v8::Local<v8::Context> context, TimerQueue::Id id) {
  if (!queue_.keeps_run_alive(id) || !queue_.cancel(id)) return;
  account();
  v8::Isolate* isolate = context->GetIsolate();
  // Nothing to do when it fails: only termination makes it, and the run ends with its calls.
  (void)calls_.Get(isolate)->Delete(context, v8::Integer::NewFromUnsigned(isolate, id)).IsNothing();
}

RunTimers::Fired RunTimers::fire_due(v8::Local<v8::Context> context, TimerQueue::Time now) {
  std::optional<TimerQueue::Id> id = queue_.take_due(now);
  if (!id) return Fired::kNone;
  account();  // a one-shot timer left the queue
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Map> calls = calls_.Get(isolate);
  v8::Local<v8::Value> key = v8::Integer::NewFromUnsigned(isolate, *id);
  v8::Local<v8::Value> call;
  if (!calls->Get(context, key).ToLocal(&call)) return Fired::kFailed;
  // A one-shot timer is gone before its function runs: clearing it there changes nothing.
  if (!queue_.contains(*id) && calls->Delete(context, key).IsNothing()) return Fired::kFailed;
  v8::Local<v8::Function> function;
  std::vector<v8::Local<v8::Value>> arguments;
  if (call->IsFunction()) {
    function = call.As<v8::Function>();
  } else if (call->IsArray() && call.As<v8::Array>()->Length() >= 1) {
    // Only add() made this array, and nothing of the script's can reach it.
    v8::Local<v8::Array> both = call.As<v8::Array>();
    v8::Local<v8::Value> value;
    if (!both->Get(context, 0).ToLocal(&value)) return Fired::kFailed;
    if (!value->IsFunction()) return Fired::kNone;
    function = value.As<v8::Function>();
    arguments.reserve(both->Length() - 1);
    for (std::uint32_t i = 1; i < both->Length(); ++i) {
      if (!both->Get(context, i).ToLocal(&value)) return Fired::kFailed;
      arguments.push_back(value);
    }
  } else {
    return Fired::kNone;
  }
  v8::Local<v8::Value> ignored;
  return function->Call(context, context->Global(), static_cast<int>(arguments.size()),
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
  const char* name = repeating ? "setInterval" : "setTimeout";
  OpCall call(info, name);
  if (!call.active()) return;
  if (!info[0]->IsFunction()) {
    // Browsers would compile a string here: code from a string is not a timer's job.
    call.type_error(fmt::format("the callback must be a function, got {}",
                                describe_type(call.isolate(), info[0])));
    return;
  }
  std::vector<v8::Local<v8::Value>> arguments;
  for (int i = 2; i < info.Length(); ++i) arguments.push_back(info[i]);
  TimerQueue::Id id = call.run().timers.add(call.context(), *call.host().allocator, name,
                                            info[0].As<v8::Function>(), arguments,
                                            delay_of(call.context(), info[1]), repeating);
  if (id == 0) return;  // refused, with the error thrown, or terminated
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

#include "core/ops/console.h"

#include <v8-container.h>
#include <v8-context.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function-callback.h>
#include <v8-json.h>
#include <v8-primitive.h>

#include <string>

#include "core/v8_text.h"

namespace krepis {
namespace {

// One argument as text: strings as they are, plain objects and arrays as JSON, everything
// else as V8's side-effect-free description. A fuller inspector comes with the ops issue.
// Returns false when a script-visible exception (or termination) is pending.
bool append_arg(v8::Local<v8::Context> context, v8::Local<v8::Value> value, std::string& out) {
  v8::Isolate* isolate = context->GetIsolate();
  if (value->IsString()) {
    out += to_utf8(isolate, value.As<v8::String>());
    return true;
  }
  if (value->IsObject() && !value->IsFunction() && !value->IsNativeError()) {
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::String> json;
    if (v8::JSON::Stringify(context, value).ToLocal(&json) && !json->IsUndefined()) {
      out += to_utf8(isolate, json);
      return true;
    }
    // Termination must go on; an ordinary failure (a cycle, a BigInt) falls back below.
    if (try_catch.HasTerminated()) {
      try_catch.ReThrow();
      return false;
    }
  }
  v8::Local<v8::String> text;
  if (!value->ToDetailString(context).ToLocal(&text)) return false;
  out += to_utf8(isolate, text);
  return true;
}

template <LogLevel level>
void log(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* slot = static_cast<OpSlot*>(info.Data().As<v8::External>()->Value());
  RunOutput* output = slot->output;
  if (output == nullptr) return;
  if (!output->accepting()) {
    output->drop();
    return;
  }
  v8::Local<v8::Context> context = info.GetIsolate()->GetCurrentContext();
  std::string entry;
  for (int i = 0; i < info.Length(); ++i) {
    if (i > 0) entry += ' ';
    if (!append_arg(context, info[i], entry)) return;
  }
  output->add(level, std::move(entry));
}

}  // namespace

v8::Local<v8::ObjectTemplate> make_console_template(v8::Isolate* isolate, OpSlot* slot) {
  v8::Local<v8::External> data = v8::External::New(isolate, slot);
  v8::Local<v8::ObjectTemplate> console = v8::ObjectTemplate::New(isolate);
  auto method = [&](const char* name, v8::FunctionCallback callback) {
    console->Set(
        isolate, name,
        v8::FunctionTemplate::New(isolate, callback, data, {}, 0, v8::ConstructorBehavior::kThrow));
  };
  method("log", &log<LogLevel::kLog>);
  method("info", &log<LogLevel::kInfo>);
  method("warn", &log<LogLevel::kWarn>);
  method("error", &log<LogLevel::kError>);
  method("debug", &log<LogLevel::kDebug>);
  return console;
}

}  // namespace krepis

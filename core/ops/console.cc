#include "core/ops/console.h"

#include <v8-external.h>
#include <v8-function-callback.h>

#include <string>

#include "core/ops/inspect.h"
#include "core/ops/op_stop.h"

namespace krepis {
namespace {

template <LogLevel level>
void log(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* host = static_cast<OpHost*>(info.Data().As<v8::External>()->Value());
  if (host->run == nullptr || host->run->output == nullptr) return;
  if (stop_if_due(info.GetIsolate(), *host->run)) return;
  RunOutput& output = *host->run->output;
  if (!output.accepting()) {
    output.drop();
    return;
  }
  // Nothing on termination: it goes on by itself once the callback returns. No C++
  // exception may unwind through V8's frames: a failure to format drops the entry.
  try {
    if (std::optional<std::string> entry = format_log_arguments(info)) {
      output.add(level, std::move(*entry));
    }
  } catch (...) {
    output.drop();
  }
}

}  // namespace

v8::Local<v8::ObjectTemplate> make_console_template(v8::Isolate* isolate, OpHost& host) {
  v8::Local<v8::External> data = v8::External::New(isolate, &host);
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

#include "core/ops/console.h"

#include <fmt/format.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function-callback.h>
#include <v8-function.h>
#include <v8-primitive.h>

#include <string>

#include "core/engine/v8_text.h"
#include "core/ops/console_table.h"
#include "core/ops/inspect.h"
#include "core/ops/lazy_global.h"
#include "core/ops/op_stop.h"

namespace krepis {
namespace {

// Counters and timers a run may hold at once, and the bytes of a label kept.
constexpr std::size_t kMaxConsoleLabels = 10'000;
constexpr std::size_t kMaxLabelBytes = 1024;
// Groups indent by two spaces each, up to this depth.
constexpr int kMaxShownDepth = 32;

// The run's console, or null when there is none or the call must do nothing: no run, the
// deadline passed, or the output cap reached (the call is counted as dropped).
OpRun* console_run(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* host = static_cast<OpHost*>(info.Data().As<v8::External>()->Value());
  if (host->run == nullptr || host->run->output == nullptr) return nullptr;
  if (stop_if_due(info.GetIsolate(), *host->run)) return nullptr;
  if (!host->run->output->accepting()) {
    host->run->output->drop();
    return nullptr;
  }
  return host->run;
}

// One entry of the output, indented by the open groups.
void emit(OpRun& run, LogLevel level, std::string entry) {
  const int depth = std::min(run.console.group_depth, kMaxShownDepth);
  if (depth > 0) {
    const std::string indent(2 * static_cast<std::size_t>(depth), ' ');
    std::string indented = indent;
    for (char c : entry) {
      indented += c;
      if (c == '\n') indented += indent;
    }
    entry = std::move(indented);
  }
  run.output->add(level, std::move(entry));
}

// A console method: its body runs only while a run accepts output, and no C++ exception
// may unwind through V8's frames (one drops the entry).
template <void (*body)(const v8::FunctionCallbackInfo<v8::Value>&, OpRun&)>
void console_method(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpRun* run = console_run(info);
  if (run == nullptr) return;
  try {
    body(info, *run);
  } catch (...) {
    run->output->drop();
  }
}

template <LogLevel level>
void log(const v8::FunctionCallbackInfo<v8::Value>& info, OpRun& run) {
  // Nothing on termination: it goes on by itself once the callback returns.
  if (std::optional<std::string> entry = format_log_arguments(info)) {
    emit(run, level, std::move(*entry));
  }
}

// A label argument: "default" when absent, a string as it is, anything else inspected.
std::optional<std::string> label_of(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (info.Length() == 0 || info[0]->IsUndefined()) return "default";
  std::string label;
  if (info[0]->IsString()) {
    if (!append_utf8(isolate, info[0].As<v8::String>(), label, kMaxLabelBytes)) label += "…";
    return label;
  }
  return inspect(isolate->GetCurrentContext(), info[0], InspectOptions{0, 10, 100, kMaxLabelBytes});
}

void assertion_failed(const v8::FunctionCallbackInfo<v8::Value>& info, OpRun& run) {
  std::optional<std::string> detail = format_log_arguments(info, 1);
  if (!detail) return;
  emit(run, LogLevel::kError,
       detail->empty() ? "Assertion failed" : "Assertion failed: " + *detail);
}

// A holding assertion costs nothing, not even a place under the output cap.
void assert_that(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (info.Length() > 0 && info[0]->BooleanValue(info.GetIsolate())) return;
  console_method<&assertion_failed>(info);
}

void count(const v8::FunctionCallbackInfo<v8::Value>& info, OpRun& run) {
  std::optional<std::string> label = label_of(info);
  if (!label) return;
  auto& counts = run.console.counts;
  if (!counts.contains(*label) && counts.size() >= kMaxConsoleLabels) {
    emit(run, LogLevel::kWarn, fmt::format("Too many counters (at most {})", kMaxConsoleLabels));
    return;
  }
  emit(run, LogLevel::kInfo, fmt::format("{}: {}", *label, ++counts[*label]));
}

void count_reset(const v8::FunctionCallbackInfo<v8::Value>& info, OpRun& run) {
  std::optional<std::string> label = label_of(info);
  if (!label) return;
  auto found = run.console.counts.find(*label);
  if (found == run.console.counts.end()) {
    emit(run, LogLevel::kWarn, fmt::format("Count for '{}' does not exist", *label));
  } else {
    found->second = 0;
  }
}

// "label: 1.2ms": to a tenth of a millisecond (docs/THREAT-MODEL.md: no finer clock).
std::string elapsed_text(const std::string& label, std::chrono::steady_clock::time_point since) {
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
  return fmt::format("{}: {:.1f}ms", label, ms);
}

void time_start(const v8::FunctionCallbackInfo<v8::Value>& info, OpRun& run) {
  std::optional<std::string> label = label_of(info);
  if (!label) return;
  auto& timers = run.console.timers;
  if (timers.contains(*label)) {
    emit(run, LogLevel::kWarn, fmt::format("Timer '{}' already exists", *label));
  } else if (timers.size() >= kMaxConsoleLabels) {
    emit(run, LogLevel::kWarn, fmt::format("Too many timers (at most {})", kMaxConsoleLabels));
  } else {
    timers.emplace(*label, std::chrono::steady_clock::now());
  }
}

template <bool end>
void time_report(const v8::FunctionCallbackInfo<v8::Value>& info, OpRun& run) {
  std::optional<std::string> label = label_of(info);
  if (!label) return;
  auto found = run.console.timers.find(*label);
  if (found == run.console.timers.end()) {
    emit(run, LogLevel::kWarn, fmt::format("Timer '{}' does not exist", *label));
    return;
  }
  std::string entry = elapsed_text(*label, found->second);
  if (end) {
    run.console.timers.erase(found);
  } else if (info.Length() > 1) {
    std::optional<std::string> data = format_log_arguments(info, 1);
    if (!data) return;
    entry += " " + *data;
  }
  emit(run, LogLevel::kInfo, std::move(entry));
}

void group(const v8::FunctionCallbackInfo<v8::Value>& info, OpRun& run) {
  if (info.Length() > 0) {
    std::optional<std::string> label = format_log_arguments(info);
    if (!label) return;
    emit(run, LogLevel::kLog, std::move(*label));
  }
  ++run.console.group_depth;
}

void group_end(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* host = static_cast<OpHost*>(info.Data().As<v8::External>()->Value());
  if (host->run != nullptr && host->run->console.group_depth > 0) --host->run->console.group_depth;
}

void dir(const v8::FunctionCallbackInfo<v8::Value>& info, OpRun& run) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  InspectOptions options;
  if (info.Length() > 1 && info[1]->IsObject()) {
    // {depth: n}, read as the script wrote it (a getter runs under the deadline).
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::Value> depth;
    if (info[1]
            .As<v8::Object>()
            ->Get(context, v8::String::NewFromUtf8Literal(isolate, "depth"))
            .ToLocal(&depth)) {
      if (depth->IsNumber()) {
        const double n = depth.As<v8::Number>()->Value();
        options.depth = n >= 0 && n < 64 ? static_cast<int>(n) : 64;
      } else if (depth->IsNull()) {
        options.depth = 64;  // as deep as it goes, bounded by the budget
      }
    }
    if (try_catch.HasTerminated()) {
      try_catch.ReThrow();
      return;
    }
  }
  std::optional<std::string> text = inspect(
      context, info.Length() > 0 ? info[0] : v8::Undefined(isolate).As<v8::Value>(), options);
  if (text) emit(run, LogLevel::kLog, std::move(*text));
}

void trace(const v8::FunctionCallbackInfo<v8::Value>& info, OpRun& run) {
  v8::Isolate* isolate = info.GetIsolate();
  std::optional<std::string> data = format_log_arguments(info);
  if (!data) return;
  std::string entry = data->empty() ? "Trace" : "Trace: " + *data;
  v8::Local<v8::StackTrace> stack = v8::StackTrace::CurrentStackTrace(isolate, 10);
  for (int i = 0; i < stack->GetFrameCount(); ++i) {
    v8::Local<v8::StackFrame> frame = stack->GetFrame(isolate, i);
    std::string where = fmt::format("{}:{}:{}", to_utf8(isolate, frame->GetScriptName()),
                                    frame->GetLineNumber(), frame->GetColumn());
    std::string function = to_utf8(isolate, frame->GetFunctionName());
    entry += function.empty() ? fmt::format("\n    at {}", where)
                              : fmt::format("\n    at {} ({})", function, where);
  }
  emit(run, LogLevel::kError, std::move(entry));
}

void table(const v8::FunctionCallbackInfo<v8::Value>& info, OpRun& run) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Value> data = info.Length() > 0 ? info[0] : v8::Undefined(isolate).As<v8::Value>();
  v8::Local<v8::Value> columns =
      info.Length() > 1 ? info[1] : v8::Undefined(isolate).As<v8::Value>();
  // Not tabular: logged as console.log would.
  std::optional<std::string> text = data->IsObject()
                                        ? render_table(isolate->GetCurrentContext(), data, columns)
                                        : format_log_arguments(info);
  if (text) emit(run, LogLevel::kLog, std::move(*text));
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
  method("log", &console_method<&log<LogLevel::kLog>>);
  method("info", &console_method<&log<LogLevel::kInfo>>);
  method("warn", &console_method<&log<LogLevel::kWarn>>);
  method("error", &console_method<&log<LogLevel::kError>>);
  method("debug", &console_method<&log<LogLevel::kDebug>>);
  // The rarer methods are made when first read (issue 15: no cost when unused).
  auto lazy = [&](const char* name, v8::AccessorNameGetterCallback getter) {
    console->SetLazyDataProperty(v8::String::NewFromUtf8(isolate, name).ToLocalChecked(), getter,
                                 data);
  };
  lazy("assert", &function_on_first_use<&assert_that, 0>);
  lazy("count", &function_on_first_use<&console_method<&count>, 0>);
  lazy("countReset", &function_on_first_use<&console_method<&count_reset>, 0>);
  lazy("time", &function_on_first_use<&console_method<&time_start>, 0>);
  lazy("timeLog", &function_on_first_use<&console_method<&time_report<false>>, 0>);
  lazy("timeEnd", &function_on_first_use<&console_method<&time_report<true>>, 0>);
  lazy("group", &function_on_first_use<&console_method<&group>, 0>);
  lazy("groupCollapsed", &function_on_first_use<&console_method<&group>, 0>);
  lazy("groupEnd", &function_on_first_use<&group_end, 0>);
  lazy("dir", &function_on_first_use<&console_method<&dir>, 0>);
  lazy("trace", &function_on_first_use<&console_method<&trace>, 0>);
  lazy("table", &function_on_first_use<&console_method<&table>, 0>);
  return console;
}

}  // namespace krepis

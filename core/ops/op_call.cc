#include "core/ops/op_call.h"

#include <fmt/format.h>
#include <v8-context.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-primitive.h>
#include <v8-statistics.h>

#include <algorithm>

#include "core/engine/v8_text.h"
#include "core/ops/op_stop.h"

namespace krepis {

std::string describe_type(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (value->IsNull()) return "null";
  if (value->IsUndefined()) return "undefined";
  if (value->IsArray()) return "an array";
  std::string type = to_utf8(isolate, value->TypeOf(isolate));
  return (type == "object" || type == "undefined" ? "an " : "a ") + type;
}

OpCall::OpCall(const v8::FunctionCallbackInfo<v8::Value>& info, const char* name)
    : info_(info),
      name_(name),
      isolate_(info.GetIsolate()),
      context_(isolate_->GetCurrentContext()),
      host_(static_cast<OpHost*>(info.Data().As<v8::External>()->Value())) {}

bool OpCall::active() {
  // A stopped run gets no more from its ops: the termination lands instead.
  if (host_->run != nullptr) return !stop_if_due(isolate_, *host_->run);
  v8::Local<v8::String> message;
  if (to_v8(isolate_, fmt::format("{}: called outside a run", name_)).ToLocal(&message)) {
    isolate_->ThrowException(v8::Exception::Error(message));
  }
  return false;
}

void OpCall::type_error(std::string_view message) {
  v8::Local<v8::String> text;
  if (to_v8(isolate_, fmt::format("{}: {}", name_, message)).ToLocal(&text)) {
    isolate_->ThrowException(v8::Exception::TypeError(text));
  }
}

std::optional<std::string> OpCall::string_arg(int index, const char* what, std::size_t max_bytes) {
  v8::Local<v8::Value> value = info_[index];
  if (!value->IsString()) {
    type_error(fmt::format("{} must be a string, got {}", what, describe_type(isolate_, value)));
    return std::nullopt;
  }
  v8::Local<v8::String> text = value.As<v8::String>();
  // Length() is in UTF-16 units, each at most 3 bytes of UTF-8: a cheap bound before the
  // exact (linear) one.
  if (static_cast<std::size_t>(text->Length()) > max_bytes ||
      static_cast<std::size_t>(text->Utf8Length(isolate_)) > max_bytes) {
    v8::Local<v8::String> message;
    if (to_v8(isolate_, fmt::format("{}: {} is longer than {} bytes", name_, what, max_bytes))
            .ToLocal(&message)) {
      isolate_->ThrowException(v8::Exception::RangeError(message));
    }
    return std::nullopt;
  }
  return to_utf8(isolate_, text);
}

std::optional<std::string> OpCall::path_arg(int index) {
  v8::Local<v8::Value> value = info_[index];
  if (value->IsString()) {
    v8::Local<v8::String> text = value.As<v8::String>();
    if (static_cast<std::size_t>(text->Length()) > kMaxPathBytes ||
        static_cast<std::size_t>(text->Utf8Length(isolate_)) > kMaxPathBytes) {
      fs_error(
          FsError{"ENAMETOOLONG", fmt::format("the path is longer than {} bytes", kMaxPathBytes)},
          "");
      return std::nullopt;
    }
    // A lone surrogate has no UTF-8: refused, rather than turned into U+FFFD, which would
    // name another file than the script wrote.
    if (!is_well_formed(text)) {
      fs_error(FsError{"EILSEQ", "the path holds a lone surrogate, which no file name can"}, "");
      return std::nullopt;
    }
  }
  return string_arg(index, "path", kMaxPathBytes);
}

void OpCall::fs_error(const FsError& error, std::string_view path) {
  // A run stopped meanwhile ends by its guard, not by this error.
  if (should_stop()) return;
  v8::Local<v8::String> message, code_key, code, path_key, path_value;
  if (!to_v8(isolate_, fmt::format("{}: {}: {}", name_, error.code, error.message))
           .ToLocal(&message) ||
      !to_v8(isolate_, "code").ToLocal(&code_key) || !to_v8(isolate_, error.code).ToLocal(&code) ||
      !to_v8(isolate_, "path").ToLocal(&path_key) || !to_v8(isolate_, path).ToLocal(&path_value)) {
    return;
  }
  v8::Local<v8::Object> exception = v8::Exception::Error(message).As<v8::Object>();
  // Own data properties: a setter the script put on Error.prototype does not run.
  if (exception->CreateDataProperty(context_, code_key, code).IsNothing() ||
      exception->CreateDataProperty(context_, path_key, path_value).IsNothing()) {
    return;
  }
  isolate_->ThrowException(exception);
}

v8::MaybeLocal<v8::Object> OpCall::object(
    std::initializer_list<std::pair<const char*, v8::Local<v8::Value>>> fields) {
  v8::Local<v8::Object> result = v8::Object::New(isolate_);
  for (const auto& [name, value] : fields) {
    v8::Local<v8::String> key;
    if (value.IsEmpty() || !to_v8(isolate_, name).ToLocal(&key) ||
        result->CreateDataProperty(context_, key, value).IsNothing()) {
      return {};
    }
  }
  return result;
}

v8::Local<v8::Value> OpCall::string(std::string_view text) {
  v8::Local<v8::String> value;
  if (!to_v8(isolate_, text).ToLocal(&value)) {
    string_too_long(text.size());
    return {};
  }
  return value;
}

void OpCall::string_too_long(std::size_t size) {
  // V8 makes no string past its maximum length (2^29 - 24 units); a stopped run needs no
  // second error.
  if (should_stop() || isolate_->IsExecutionTerminating()) return;
  v8::Local<v8::String> message;
  if (to_v8(isolate_, fmt::format("{}: the result ({} characters or bytes) is longer than a "
                                  "JavaScript string can be ({})",
                                  name_, size, v8::String::kMaxLength))
          .ToLocal(&message)) {
    isolate_->ThrowException(v8::Exception::RangeError(message));
  }
}

v8::Local<v8::Value> OpCall::number(double value) { return v8::Number::New(isolate_, value); }

const TenantFolder* OpCall::folder(std::string_view path) {
  if (host_->folder) return &*host_->folder;
  fs_error(host_->folder_error, path);
  return nullptr;
}

const TenantFolder* OpCall::path_and_folder(std::string& path, const char* if_undefined) {
  if (!active()) return nullptr;
  std::optional<std::string> given =
      if_undefined != nullptr && info_[0]->IsUndefined() ? if_undefined : path_arg(0);
  if (!given) return nullptr;
  path = std::move(*given);
  return folder(path);
}

bool OpCall::should_stop() const { return run_is_due(isolate_, *host_->run); }

bool OpCall::reserve_heap(std::size_t bytes) {
  v8::HeapStatistics statistics;
  isolate_->GetHeapStatistics(&statistics);
  const std::size_t held = statistics.used_heap_size() +
                           std::max(statistics.external_memory(), host_->allocator->in_use());
  if (held + bytes <= host_->allocator->cap()) return true;
  host_->run->stop->trip(StopReason::kHeapCheck);
  isolate_->TerminateExecution();
  return false;
}

}  // namespace krepis

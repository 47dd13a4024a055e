#include "core/runtime/error_detail.h"

#include <v8-exception.h>
#include <v8-isolate.h>
#include <v8-object.h>
#include <v8-primitive.h>

#include <algorithm>
#include <string_view>

#include "core/base/utf8.h"
#include "core/engine/v8_text.h"

namespace krepis {
namespace {

// The byte offset in UTF-8 text of a column counted in UTF-16 units, as V8 counts them.
std::size_t byte_offset(const std::string& text, int column) {
  std::size_t i = 0;
  for (int units = 0; i < text.size() && units < column;) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    units += length == 4 ? 2 : 1;  // past U+FFFF a character is two UTF-16 units
    i += length;
  }
  return std::min(i, text.size());
}

void add_source(v8::Local<v8::Context> context, v8::Local<v8::Message> message,
                ErrorDetail& detail) {
  v8::Local<v8::String> line;
  if (!message->GetSourceLine(context).ToLocal(&line)) return;
  // A line past this (one huge eval) is not shown: copying it whole would cost the host
  // what the script's heap holds.
  constexpr std::size_t kMaxLineRead = 64 * 1024;
  std::string text;
  if (!append_utf8(context->GetIsolate(), line, text, kMaxLineRead)) return;
  std::size_t at = byte_offset(text, message->GetStartColumn(context).FromMaybe(0));
  // A long line: a window around the place, marked as cut where it is.
  std::size_t from = 0;
  if (text.size() > kMaxSourceLine) {
    from = character_start(text, at > kMaxSourceLine / 2 ? at - kMaxSourceLine / 2 : 0);
    std::size_t to = character_start(text, std::min(text.size(), from + kMaxSourceLine));
    text = (from > 0 ? "…" : "") + text.substr(from, to - from) + (to < text.size() ? "…" : "");
    at = at - from + (from > 0 ? std::string_view("…").size() : 0);
  }
  std::string caret;
  for (std::size_t i = 0; i < at && i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xC0) == 0x80) continue;  // one blank per character
    caret += text[i] == '\t' ? '\t' : ' ';
  }
  detail.source_line = std::move(text);
  detail.caret = caret + "^";
}

// The frames of `stack`: what follows its first line that starts "    at ".
std::string frames_of(const std::string& stack) {
  std::size_t first = stack.find("\n    at ");
  if (first == std::string::npos) return {};
  std::string frames = stack.substr(first + 1);
  if (frames.size() > kMaxStackBytes) {
    const std::size_t last_line = frames.rfind('\n', kMaxStackBytes);
    frames.resize(last_line != std::string::npos ? last_line
                                                 : character_start(frames, kMaxStackBytes));
    frames += "\n    … (more frames left out)";
  }
  return frames;
}

// One property of an error, read as the script would read it; empty on a throw.
v8::Local<v8::Value> property(v8::Local<v8::Context> context, v8::Local<v8::Object> object,
                              const char* name) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> key;
  v8::Local<v8::Value> value;
  if (!to_v8(isolate, name).ToLocal(&key) || !object->Get(context, key).ToLocal(&value)) return {};
  return value;
}

// "Error: inner", as an uncaught one would be described.
std::string describe_cause(v8::Isolate* isolate, v8::Local<v8::Value> cause) {
  v8::TryCatch try_catch(isolate);
  std::string text;
  if (!append_utf8(isolate, v8::Exception::CreateMessage(isolate, cause)->Get(), text,
                   kMaxCauseBytes)) {
    text += "…";
  }
  constexpr std::string_view kUncaught = "Uncaught ";
  return text.starts_with(kUncaught) ? text.substr(kUncaught.size()) : text;
}

}  // namespace

ErrorDetail error_detail(v8::Local<v8::Context> context, v8::Local<v8::Value> exception,
                         v8::Local<v8::Message> message) {
  v8::Isolate* isolate = context->GetIsolate();
  ErrorDetail detail;
  // Nothing here throws into the script: a getter or proxy trap that throws ends the detail.
  v8::TryCatch try_catch(isolate);
  if (message.IsEmpty()) message = v8::Exception::CreateMessage(isolate, exception);
  add_source(context, message, detail);
  if (!exception->IsObject() || isolate->IsExecutionTerminating()) return detail;
  v8::Local<v8::Value> stack = property(context, exception.As<v8::Object>(), "stack");
  if (!stack.IsEmpty() && stack->IsString()) {
    // Read no further than what is kept (Error.prepareStackTrace may return any string).
    std::string text;
    const bool whole = append_utf8(isolate, stack.As<v8::String>(), text, 2 * kMaxStackBytes);
    detail.stack = frames_of(text);
    if (!whole && !detail.stack.empty() && !detail.stack.ends_with("left out)")) {
      detail.stack += "\n    … (more frames left out)";
    }
  }
  v8::Local<v8::Value> current = exception;
  for (std::size_t i = 0; i < kMaxCauses && current->IsObject(); ++i) {
    if (isolate->IsExecutionTerminating()) break;
    v8::Local<v8::Object> object = current.As<v8::Object>();
    v8::Maybe<bool> has = object->Has(context, v8::String::NewFromUtf8Literal(isolate, "cause"));
    if (!has.FromMaybe(false)) break;
    v8::Local<v8::Value> cause = property(context, object, "cause");
    if (cause.IsEmpty()) break;
    detail.causes.push_back(describe_cause(isolate, cause));
    if (cause->StrictEquals(current)) break;  // its own cause
    current = cause;
  }
  return detail;
}

}  // namespace krepis

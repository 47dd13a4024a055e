#include "core/runtime/module_messages.h"

#include <fmt/format.h>
#include <v8-exception.h>

#include "core/base/utf8.h"
#include "core/engine/v8_text.h"

namespace krepis {

std::string excerpt(std::string_view text) { return one_line(shortened(text, kQuotedBytes)); }

std::string utf8_prefix(v8::Isolate* isolate, v8::Local<v8::String> text, std::size_t limit,
                        bool& whole) {
  std::string out;
  whole = append_utf8(isolate, text, out, limit);
  return out;
}

bool asserts_json(v8::Local<v8::Context> context, v8::Local<v8::FixedArray> assertions,
                  int stride, bool& json, std::string& why) {
  json = false;
  v8::Isolate* isolate = context->GetIsolate();
  for (int i = 0; i + 1 < assertions->Length(); i += stride) {
    v8::Local<v8::Data> key = assertions->Get(context, i);
    v8::Local<v8::Data> value = assertions->Get(context, i + 1);
    if (!key->IsValue() || !value->IsValue() || !key.As<v8::Value>()->IsString() ||
        !value.As<v8::Value>()->IsString()) {
      why = "an import assertion that is not a string";
      return false;
    }
    bool whole_name = false;
    bool whole_type = false;
    const std::string name = utf8_prefix(isolate, key.As<v8::String>(), kQuotedBytes, whole_name);
    const std::string type =
        utf8_prefix(isolate, value.As<v8::String>(), kQuotedBytes, whole_type);
    if (!whole_name || name != "type") {
      why = fmt::format("the import assertion '{}{}' is not supported (only type: 'json' is)",
                        excerpt(name), whole_name ? "" : "…");
      return false;
    }
    if (!whole_type || type != "json") {
      why = fmt::format("the module type '{}{}' is not supported (only 'json' is)", excerpt(type),
                        whole_type ? "" : "…");
      return false;
    }
    json = true;
  }
  return true;
}

void throw_error(v8::Isolate* isolate, const std::string& message) {
  v8::Local<v8::String> text;
  if (!to_v8(isolate, message).ToLocal(&text)) {
    text = v8::String::NewFromUtf8Literal(isolate, "an import was refused");
  }
  isolate->ThrowException(v8::Exception::Error(text));
}

}  // namespace krepis

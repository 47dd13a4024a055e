#include "core/v8_text.h"

#include <climits>

namespace krepis {

std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::String> value) {
  if (value.IsEmpty()) return {};
  v8::String::Utf8Value utf8(isolate, value);
  if (*utf8 == nullptr) return {};
  return std::string(*utf8, utf8.length());
}

v8::MaybeLocal<v8::String> to_v8(v8::Isolate* isolate, std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) return {};
  return v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(text.size()));
}

}  // namespace krepis

#include "core/engine/v8_text.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>

namespace krepis {

std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::String> value) {
  if (value.IsEmpty()) return {};
  v8::String::Utf8Value utf8(isolate, value);
  if (*utf8 == nullptr) return {};
  return std::string(*utf8, utf8.length());
}

bool is_well_formed(v8::Local<v8::String> value) {
  if (value->ContainsOnlyOneByte()) return true;
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  std::u16string units(static_cast<std::size_t>(value->Length()), u'\0');
  value->Write(isolate, reinterpret_cast<std::uint16_t*>(units.data()), 0, -1,
               v8::String::NO_NULL_TERMINATION);
  for (std::size_t i = 0; i < units.size(); ++i) {
    const char16_t unit = units[i];
    if (unit >= 0xD800 && unit <= 0xDBFF) {  // a high surrogate needs a low one next
      if (i + 1 < units.size() && units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF) {
        ++i;
        continue;
      }
      return false;
    }
    if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // a low one without a high one
  }
  return true;
}

bool append_utf8(v8::Isolate* isolate, v8::Local<v8::String> value, std::string& out,
                 std::size_t limit) {
  const auto length = static_cast<std::size_t>(value->Length());
  if (length == 0) return true;
  if (out.size() >= limit) return false;
  // A UTF-16 unit is at most 3 bytes of UTF-8.
  const std::size_t room = std::min({limit - out.size(), length * 3, std::size_t{INT_MAX}});
  const std::size_t start = out.size();
  out.resize(start + room);
  int characters = 0;
  int written =
      value->WriteUtf8(isolate, out.data() + start, static_cast<int>(room), &characters,
                       v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  out.resize(start + static_cast<std::size_t>(written));
  return static_cast<std::size_t>(characters) == length;
}

v8::MaybeLocal<v8::String> to_v8(v8::Isolate* isolate, std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) return {};
  return v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(text.size()));
}

}  // namespace krepis

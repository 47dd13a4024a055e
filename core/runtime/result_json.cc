#include "core/runtime/result_json.h"

#include <v8-container.h>
#include <v8-exception.h>
#include <v8-isolate.h>
#include <v8-primitive.h>
#include <v8-regexp.h>
#include <v8-typed-array.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/engine/v8_text.h"
#include "core/runtime/script_execution.h"

namespace krepis {
namespace {

v8::Local<v8::Value> text(v8::Isolate* isolate, std::string_view utf8) {
  v8::Local<v8::String> string;
  if (!to_v8(isolate, utf8).ToLocal(&string)) return v8::Null(isolate);
  return string;
}

std::string regexp_text(v8::Isolate* isolate, v8::Local<v8::RegExp> regexp) {
  const int flags = regexp->GetFlags();
  std::string shown = "/" + to_utf8(isolate, regexp->GetSource()) + "/";
  constexpr std::pair<int, char> kFlags[] = {
      {v8::RegExp::kHasIndices, 'd'}, {v8::RegExp::kGlobal, 'g'}, {v8::RegExp::kIgnoreCase, 'i'},
      {v8::RegExp::kMultiline, 'm'},  {v8::RegExp::kDotAll, 's'}, {v8::RegExp::kUnicode, 'u'},
      {v8::RegExp::kSticky, 'y'}};
  for (const auto& [flag, letter] : kFlags) {
    if (flags & flag) shown += letter;
  }
  return shown;
}

// The elements of a typed array as a plain array (BigInt ones go through the replacer
// again, as strings).
v8::MaybeLocal<v8::Array> elements(v8::Local<v8::Context> context,
                                   v8::Local<v8::TypedArray> array) {
  v8::Isolate* isolate = context->GetIsolate();
  const std::size_t length = array->Length();
  v8::Local<v8::Array> plain = v8::Array::New(isolate, static_cast<int>(length));
  for (std::size_t i = 0; i < length; ++i) {
    v8::Local<v8::Value> element;
    if (!array->Get(context, static_cast<std::uint32_t>(i)).ToLocal(&element) ||
        plain->Set(context, static_cast<std::uint32_t>(i), element).IsNothing()) {
      return {};
    }
  }
  return plain;
}

// Elements past this make more than a result may hold (kMaxResultBytes, at 2 bytes each at
// the least): refused before a plain array of them is made, which for 2^27 elements V8
// cannot make at all (it ends the process).
constexpr std::size_t kMaxResultElements = kMaxResultBytes / 2;

bool too_many(v8::Isolate* isolate, std::size_t elements) {
  if (elements <= kMaxResultElements) return false;
  isolate->ThrowException(v8::Exception::RangeError(
      v8::String::NewFromUtf8Literal(isolate,
                                     "the result holds more elements than a result "
                                     "may (its JSON would pass 16 MiB)")));
  return true;
}

// JSON.stringify's replacer: called with (key, value) for the root and every value inside.
void replace(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Value> value = info[1];
  v8::ReturnValue<v8::Value> out = info.GetReturnValue();
  out.Set(value);
  if (isolate->IsExecutionTerminating()) return;
  if (value->IsBigInt()) {
    v8::Local<v8::String> digits;
    if (value->ToString(context).ToLocal(&digits)) out.Set(digits);
  } else if (value->IsNumber()) {
    const double number = value.As<v8::Number>()->Value();
    if (std::isnan(number)) out.Set(text(isolate, "NaN"));
    if (std::isinf(number)) out.Set(text(isolate, number > 0 ? "Infinity" : "-Infinity"));
  } else if (value->IsSymbol()) {
    v8::Local<v8::Value> description = value.As<v8::Symbol>()->Description(isolate);
    out.Set(
        text(isolate, "Symbol(" +
                          (description->IsString() ? to_utf8(isolate, description.As<v8::String>())
                                                   : std::string()) +
                          ")"));
  } else if (value->IsFunction()) {
    std::string name = to_utf8(isolate, value.As<v8::Function>()->GetName().As<v8::String>());
    out.Set(text(isolate, name.empty() ? "[Function (anonymous)]" : "[Function: " + name + "]"));
  } else if (value->IsMap()) {
    if (too_many(isolate, value.As<v8::Map>()->Size())) return;
    v8::Local<v8::Array> flat = value.As<v8::Map>()->AsArray();
    const std::uint32_t pairs = flat->Length() / 2;
    v8::Local<v8::Array> entries = v8::Array::New(isolate, static_cast<int>(pairs));
    for (std::uint32_t i = 0; i < pairs; ++i) {
      v8::Local<v8::Value> pair[2];
      if (!flat->Get(context, 2 * i).ToLocal(&pair[0]) ||
          !flat->Get(context, 2 * i + 1).ToLocal(&pair[1]) ||
          entries->Set(context, i, v8::Array::New(isolate, pair, 2)).IsNothing()) {
        return;
      }
    }
    out.Set(entries);
  } else if (value->IsSet()) {
    if (too_many(isolate, value.As<v8::Set>()->Size())) return;
    out.Set(value.As<v8::Set>()->AsArray());
  } else if (value->IsTypedArray() || value->IsArrayBuffer()) {
    if (too_many(isolate, value->IsTypedArray() ? value.As<v8::TypedArray>()->Length()
                                                : value.As<v8::ArrayBuffer>()->ByteLength())) {
      return;
    }
    v8::Local<v8::TypedArray> array =
        value->IsTypedArray() ? value.As<v8::TypedArray>()
                              : v8::Uint8Array::New(value.As<v8::ArrayBuffer>(), 0,
                                                    value.As<v8::ArrayBuffer>()->ByteLength())
                                    .As<v8::TypedArray>();
    v8::Local<v8::Array> plain;
    if (elements(context, array).ToLocal(&plain)) out.Set(plain);
  } else if (value->IsRegExp()) {
    out.Set(text(isolate, regexp_text(isolate, value.As<v8::RegExp>())));
  } else if (value->IsNativeError()) {
    v8::TryCatch try_catch(isolate);  // its name and message getters are the script's
    std::string shown = to_utf8(isolate, v8::Exception::CreateMessage(isolate, value)->Get());
    constexpr std::string_view kUncaught = "Uncaught ";
    if (shown.starts_with(kUncaught)) shown.erase(0, kUncaught.size());
    if (!try_catch.HasTerminated()) out.Set(text(isolate, shown));
  }
}

// Eight one-byte characters at a time: the high bit of each byte of `word` that JSON.stringify
// writes otherwise than as itself (a control character, a quote, a backslash, past ASCII).
// Exact in every byte (no borrow crosses bytes), so each bit can be taken in turn.
constexpr std::uint64_t kLows = 0x7F7F7F7F7F7F7F7FULL;
constexpr std::uint64_t kHighs = ~kLows;
constexpr std::uint64_t every_byte(std::uint8_t byte) { return 0x0101010101010101ULL * byte; }
constexpr std::uint64_t zero_bytes(std::uint64_t word) {
  return ~(((word & kLows) + kLows) | word | kLows);
}
constexpr std::uint64_t control_bytes(std::uint64_t word) {
  return zero_bytes(word & every_byte(0xE0));
}
constexpr std::uint64_t bytes_to_rewrite(std::uint64_t word) {
  return control_bytes(word) | zero_bytes(word ^ every_byte('"')) |
         zero_bytes(word ^ every_byte('\\')) | (word & kHighs);
}

std::uint64_t load_word(const char* bytes) {
  std::uint64_t word;
  std::memcpy(&word, bytes, sizeof word);
  return word;
}

// What one character that needs it becomes; returns past the last byte written.
constexpr char* rewrite(unsigned char byte, char* out) {
  constexpr char kHex[] = "0123456789abcdef";
  if (byte >= 0x80) {  // Latin-1 past ASCII: two bytes of UTF-8
    *out++ = static_cast<char>(0xC0 | (byte >> 6));
    *out++ = static_cast<char>(0x80 | (byte & 0x3F));
    return out;
  }
  *out++ = '\\';
  switch (byte) {
    case '\b': *out++ = 'b'; break;
    case '\t': *out++ = 't'; break;
    case '\n': *out++ = 'n'; break;
    case '\f': *out++ = 'f'; break;
    case '\r': *out++ = 'r'; break;
    case '"':
    case '\\': *out++ = static_cast<char>(byte); break;
    default:  // another control character
      out = std::copy_n("u00", 3, out);
      *out++ = kHex[byte >> 4];
      *out++ = kHex[byte & 0xF];
  }
  return out;
}

// How many bytes of JSON each one-byte character becomes: one, or what rewrite writes.
constexpr std::array<std::uint8_t, 256> kJsonBytes = [] {
  std::array<std::uint8_t, 256> bytes{};
  for (unsigned c = 0; c < 256; ++c) {
    char scratch[8] = {};
    bytes[c] = (bytes_to_rewrite(c) & 0x80) == 0  // the mask's lowest byte is c's
                   ? 1
                   : static_cast<std::uint8_t>(rewrite(static_cast<unsigned char>(c), scratch) -
                                               scratch);
  }
  return bytes;
}();

}  // namespace

std::string result_type(v8::Local<v8::Value> value) {
  if (value->IsUndefined()) return "undefined";
  if (value->IsNull()) return "null";
  if (value->IsBoolean()) return "boolean";
  if (value->IsNumber()) return "number";
  if (value->IsString()) return "string";
  if (value->IsBigInt()) return "bigint";
  if (value->IsSymbol()) return "symbol";
  if (value->IsFunction()) return "function";
  if (value->IsArray()) return "array";
  if (value->IsMap()) return "map";
  if (value->IsSet()) return "set";
  if (value->IsTypedArray()) return "typed_array";
  if (value->IsArrayBuffer()) return "array_buffer";
  if (value->IsDate()) return "date";
  if (value->IsRegExp()) return "regexp";
  if (value->IsNativeError()) return "error";
  if (value->IsPromise()) return "promise";
  return "object";
}

v8::MaybeLocal<v8::String> result_json(v8::Local<v8::Context> context,
                                       v8::Local<v8::Function> stringify,
                                       v8::Local<v8::Value> value) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Function> replacer;
  if (!v8::Function::New(context, &replace).ToLocal(&replacer)) return {};
  v8::Local<v8::Value> args[] = {value, replacer};
  v8::Local<v8::Value> json;
  if (!stringify->Call(context, v8::Undefined(isolate), 2, args).ToLocal(&json)) return {};
  // Nothing to serialise (undefined, or a toJSON that returned it): null.
  if (!json->IsString()) return v8::String::NewFromUtf8Literal(isolate, "null");
  return json.As<v8::String>();
}

std::optional<StringJson> one_byte_string_json(v8::Isolate* isolate,
                                               v8::Local<v8::String> string, std::size_t limit) {
  if (!string->IsOneByte() || static_cast<std::size_t>(string->Length()) > limit) return {};
  const auto length = static_cast<std::size_t>(string->Length());
  std::string json(std::min(length + length / 8, limit) + 64, '\0');
  std::size_t written = 0;
  json[written++] = '"';
  // Past the limit (escapes can make six bytes of one), the rest is only counted: the host
  // never holds much more than the limit.
  bool counting = false;
  // Read a chunk at a time (no copy of the whole string in host memory), eight bytes at a
  // time: both buffers have eight to spare, so a word read past a chunk's end is masked and
  // a word written past the last byte is overwritten or cut.
  constexpr std::size_t kChunk = 4096;
  char chunk[kChunk + 8]{};
  for (std::size_t start = 0; start < length; start += kChunk) {
    const std::size_t in_chunk = std::min(kChunk, length - start);
    string->WriteOneByte(isolate, reinterpret_cast<std::uint8_t*>(chunk), static_cast<int>(start),
                         static_cast<int>(in_chunk), v8::String::NO_NULL_TERMINATION);
    std::size_t i = 0;
    while (!counting && i < in_chunk) {
      // Room for eight bytes rewritten at six each, and a word written ahead.
      if (json.size() - written < 8 * 6 + 8) {
        counting = written > limit;
        if (counting) break;
        json.resize(std::min(json.size() * 2, limit + 64));
      }
      char* out = json.data() + written;
      const std::size_t count = std::min<std::size_t>(8, in_chunk - i);
      std::uint64_t rewritten = bytes_to_rewrite(load_word(chunk + i));
      if (count < 8) rewritten &= (std::uint64_t{1} << (8 * count)) - 1;
      std::size_t done = 0;  // bytes of this word written
      for (; rewritten != 0; rewritten &= rewritten - 1) {
        const auto k = static_cast<std::size_t>(std::countr_zero(rewritten) / 8);
        std::memcpy(out, chunk + i + done, 8);  // the bytes before k, and more to overwrite
        out += k - done;
        const auto byte = static_cast<unsigned char>(chunk[i + k]);
        if (byte == '"' || byte == '\\') {  // the common case: a result that is itself JSON
          *out++ = '\\';
          *out++ = static_cast<char>(byte);
        } else {
          out = rewrite(byte, out);
        }
        done = k + 1;
      }
      std::memcpy(out, chunk + i + done, 8);
      out += count - done;
      written = static_cast<std::size_t>(out - json.data());
      i += count;
    }
    for (; counting && i < in_chunk; ++i) written += kJsonBytes[static_cast<unsigned char>(chunk[i])];
  }
  ++written;  // the closing quote
  if (counting || written > limit) return StringJson{written, std::nullopt};
  json[written - 1] = '"';
  json.resize(written);
  return StringJson{written, std::move(json)};
}

std::size_t two_byte_string_json_bytes(v8::Isolate* isolate, v8::Local<v8::String> string) {
  const auto length = static_cast<std::size_t>(string->Length());
  std::size_t bytes = 2;  // the quotes
  bool high_surrogate = false;  // the last unit, waiting for its low half
  constexpr std::size_t kChunk = 4096;
  std::uint16_t chunk[kChunk];
  for (std::size_t start = 0; start < length; start += kChunk) {
    const std::size_t in_chunk = std::min(kChunk, length - start);
    string->Write(isolate, chunk, static_cast<int>(start), static_cast<int>(in_chunk),
                  v8::String::NO_NULL_TERMINATION);
    for (std::size_t i = 0; i < in_chunk; ++i) {
      const std::uint16_t unit = chunk[i];
      const bool low = unit >= 0xDC00 && unit <= 0xDFFF;
      if (high_surrogate) {
        high_surrogate = false;
        bytes += low ? 4 : 6;  // a pair is one character of four bytes; a lone half \udxxx
        if (low) continue;
      }
      if (unit < 0x80) {
        bytes += kJsonBytes[unit];
      } else if (unit < 0x800) {
        bytes += 2;
      } else if (unit >= 0xD800 && unit <= 0xDBFF) {
        high_surrogate = true;
      } else {
        bytes += low ? 6 : 3;
      }
    }
  }
  return bytes + (high_surrogate ? 6 : 0);
}

v8::MaybeLocal<v8::Function> intrinsic_stringify(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Value> json;
  v8::Local<v8::Value> stringify;
  if (!context->Global()
           ->Get(context, v8::String::NewFromUtf8Literal(isolate, "JSON"))
           .ToLocal(&json) ||
      !json->IsObject() ||
      !json.As<v8::Object>()
           ->Get(context, v8::String::NewFromUtf8Literal(isolate, "stringify"))
           .ToLocal(&stringify) ||
      !stringify->IsFunction()) {
    return {};
  }
  return stringify.As<v8::Function>();
}

}  // namespace krepis

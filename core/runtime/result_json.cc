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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Whether JSON.stringify writes a one-byte character as itself: not a control character, a
// quote, a backslash, or past ASCII (two bytes of UTF-8).
constexpr bool written_as_itself(unsigned char byte) {
  return byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\';
}

// Sixteen one-byte characters at a time, which of them JSON.stringify writes otherwise than as
// themselves: bit i is set for byte i. Quotes and backslashes (the many in a result that is
// itself JSON) apart from the rest (control characters, and those past ASCII).
constexpr std::size_t kBlock = 16;
struct ToRewrite {
  std::uint32_t quoted = 0;
  std::uint32_t other = 0;
};
ToRewrite bytes_to_rewrite(const char* bytes) {
#if defined(__SSE2__)
  const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes));
  const __m128i quote = _mm_cmpeq_epi8(block, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(block, _mm_set1_epi8('\\'));
  // As signed bytes, the control characters and those past ASCII are the ones below ' '.
  const __m128i below_space = _mm_cmplt_epi8(block, _mm_set1_epi8(' '));
  return {static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(quote, backslash))),
          static_cast<std::uint32_t>(_mm_movemask_epi8(below_space))};
#else
  ToRewrite found;
  for (std::size_t i = 0; i < kBlock; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    const bool quoted = byte == '"' || byte == '\\';
    if (quoted) found.quoted |= std::uint32_t{1} << i;
    if (!quoted && !written_as_itself(byte)) found.other |= std::uint32_t{1} << i;
  }
  return found;
#endif
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

// Writes the JSON of `count` (at most kBlock) one-byte characters at `from` to `out`; returns
// past the last byte written. Reads kBlock bytes from `from`, and writes up to kBlock bytes
// past what it returns (the caller's buffers have them to spare): whole blocks are copied,
// and overwritten from where a character is rewritten.
char* escape_block(const char* from, std::size_t count, char* out) {
  const std::uint32_t in_block = count < kBlock ? (std::uint32_t{1} << count) - 1 : ~0u;
  const ToRewrite to_rewrite = bytes_to_rewrite(from);
  std::size_t done = 0;  // characters of the block written
  if ((to_rewrite.other & in_block) == 0) {
    // Only quotes and backslashes: a backslash goes in before each, and the next copy
    // carries on from the character itself.
    for (std::uint32_t at = to_rewrite.quoted & in_block; at != 0; at &= at - 1) {
      const auto k = static_cast<std::size_t>(std::countr_zero(at));
      std::memcpy(out, from + done, kBlock);  // the characters before k, and more to overwrite
      out += k - done;
      *out++ = '\\';
      done = k;
    }
  } else {
    for (std::uint32_t at = (to_rewrite.quoted | to_rewrite.other) & in_block; at != 0;
         at &= at - 1) {
      const auto k = static_cast<std::size_t>(std::countr_zero(at));
      std::memcpy(out, from + done, kBlock);
      out += k - done;
      out = rewrite(static_cast<unsigned char>(from[k]), out);
      done = k + 1;
    }
  }
  std::memcpy(out, from + done, kBlock);
  return out + (count - done);
}

// How many bytes of JSON each one-byte character becomes: one, or what rewrite writes.
constexpr std::array<std::uint8_t, 256> kJsonBytes = [] {
  std::array<std::uint8_t, 256> bytes{};
  for (unsigned c = 0; c < 256; ++c) {
    char scratch[8] = {};
    const auto byte = static_cast<unsigned char>(c);
    bytes[c] =
        written_as_itself(byte) ? 1 : static_cast<std::uint8_t>(rewrite(byte, scratch) - scratch);
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
  // A result that is itself JSON text has about one quote in five characters: room for that
  // from the start (growing copies the text, and zeroes what it adds).
  std::string json(std::min(length + length / 4, limit) + 128, '\0');
  std::size_t written = 0;
  json[written++] = '"';
  // Past the limit (escapes can make six bytes of one), the rest is only counted: the host
  // never holds much more than the limit.
  bool counting = false;
  // Read a chunk at a time (no copy of the whole string in host memory), sixteen bytes at a
  // time: both buffers have sixteen to spare, so a block read past a chunk's end is masked and
  // a block written past the last byte is overwritten or cut.
  constexpr std::size_t kChunk = 4096;
  char chunk[kChunk + kBlock]{};
  for (std::size_t start = 0; start < length; start += kChunk) {
    const std::size_t in_chunk = std::min(kChunk, length - start);
    string->WriteOneByte(isolate, reinterpret_cast<std::uint8_t*>(chunk), static_cast<int>(start),
                         static_cast<int>(in_chunk), v8::String::NO_NULL_TERMINATION);
    std::size_t i = 0;
    while (!counting && i < in_chunk) {
      // Each block takes at most six bytes a character, and a block written ahead.
      constexpr std::size_t kBlockRoom = kBlock * 6 + kBlock;
      const std::size_t room = json.size() - written;
      if (room < kBlockRoom) {
        counting = written > limit;
        if (!counting) json.resize(std::min(json.size() * 2, limit + 128));
        continue;
      }
      // As many blocks as there is room for, without a look at the room between them.
      const std::size_t end = std::min(in_chunk, i + room / kBlockRoom * kBlock);
      char* out = json.data() + written;
      for (; i < end; i += kBlock) out = escape_block(chunk + i, std::min(kBlock, end - i), out);
      written = static_cast<std::size_t>(out - json.data());
    }
    for (; counting && i < in_chunk; ++i) {
      written += kJsonBytes[static_cast<unsigned char>(chunk[i])];
    }
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

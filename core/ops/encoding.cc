#include "core/ops/encoding.h"

#include <v8-array-buffer.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-primitive.h>
#include <v8-typed-array.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "core/ops/byte_buffers.h"
#include "core/ops/js_builtins.h"
#include "core/ops/lazy_global.h"
#include "core/ops/op_call.h"
#include "core/ops/op_host.h"

namespace krepis {
namespace {

OpHost& host_of(const v8::PropertyCallbackInfo<v8::Value>& info) {
  return *static_cast<OpHost*>(info.Data().As<v8::External>()->Value());
}

void throw_error(v8::Isolate* isolate, v8::Local<v8::Value> (*make)(v8::Local<v8::String>),
                 const char* message) {
  isolate->ThrowException(make(v8::String::NewFromUtf8(isolate, message).ToLocalChecked()));
}

// ---- UTF-8, as the WHATWG Encoding standard decodes it ----

// The decoder's state between the chunks of a stream.
struct Utf8State {
  std::uint32_t code_point = 0;
  std::uint32_t needed = 0;
  std::uint32_t seen = 0;
  std::uint32_t lower = 0x80;
  std::uint32_t upper = 0xBF;

  // Kept in a TextDecoder's internal field as one number (41 bits: exact in a double).
  double packed() const {
    return static_cast<double>(code_point | (std::uint64_t{needed} << 21) |
                               (std::uint64_t{seen} << 23) | (std::uint64_t{lower} << 25) |
                               (std::uint64_t{upper} << 33));
  }
  static Utf8State unpacked(double value) {
    const auto bits = static_cast<std::uint64_t>(value);
    return {static_cast<std::uint32_t>(bits & 0x1FFFFF), static_cast<std::uint32_t>(bits >> 21 & 3),
            static_cast<std::uint32_t>(bits >> 23 & 3),
            static_cast<std::uint32_t>(bits >> 25 & 0xFF),
            static_cast<std::uint32_t>(bits >> 33 & 0xFF)};
  }
};

void append_code_point(std::u16string& out, std::uint32_t code_point) {
  if (code_point < 0x10000) {
    out += static_cast<char16_t>(code_point);
  } else {
    code_point -= 0x10000;
    out += static_cast<char16_t>(0xD800 + (code_point >> 10));
    out += static_cast<char16_t>(0xDC00 + (code_point & 0x3FF));
  }
}

// Decodes `bytes` onto `out`; `flush` ends the stream. An error is U+FFFD, or, when fatal,
// the end (false, the state reset).
bool decode_utf8(Utf8State& state, std::string_view bytes, bool flush, bool fatal,
                 std::u16string& out) {
  for (std::size_t i = 0; i < bytes.size();) {
    const auto byte = static_cast<std::uint8_t>(bytes[i]);
    if (state.needed == 0) {
      ++i;
      if (byte <= 0x7F) {
        out += static_cast<char16_t>(byte);
      } else if (byte >= 0xC2 && byte <= 0xDF) {
        state.needed = 1;
        state.code_point = byte & 0x1F;
      } else if (byte >= 0xE0 && byte <= 0xEF) {
        if (byte == 0xE0) state.lower = 0xA0;
        if (byte == 0xED) state.upper = 0x9F;
        state.needed = 2;
        state.code_point = byte & 0xF;
      } else if (byte >= 0xF0 && byte <= 0xF4) {
        if (byte == 0xF0) state.lower = 0x90;
        if (byte == 0xF4) state.upper = 0x8F;
        state.needed = 3;
        state.code_point = byte & 0x7;
      } else {
        if (fatal) return false;
        out += u'\uFFFD';
      }
      continue;
    }
    if (byte < state.lower || byte > state.upper) {
      // The sequence ends before this byte, which is read again as the start of another.
      state = {};
      if (fatal) return false;
      out += u'\uFFFD';
      continue;
    }
    ++i;
    state.lower = 0x80;
    state.upper = 0xBF;
    state.code_point = (state.code_point << 6) | (byte & 0x3F);
    if (++state.seen == state.needed) {
      append_code_point(out, state.code_point);
      state = {};
    }
  }
  if (flush && state.needed != 0) {
    state = {};
    if (fatal) return false;
    out += u'\uFFFD';
  }
  return true;
}

// ---- TextEncoder ----

void text_encoder_new(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info.IsConstructCall()) {
    throw_error(info.GetIsolate(), &v8::Exception::TypeError,
                "Class constructor TextEncoder cannot be invoked without 'new'");
  }
}

// The argument as a string, as String(value) makes it (so a toString of the script's runs).
v8::MaybeLocal<v8::String> string_argument(const v8::FunctionCallbackInfo<v8::Value>& info,
                                           int index) {
  if (info.Length() <= index || info[index]->IsUndefined()) {
    return v8::String::Empty(info.GetIsolate());
  }
  return info[index]->ToString(info.GetIsolate()->GetCurrentContext());
}

void encode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "TextEncoder.prototype.encode");
  if (!call.active()) return;
  v8::Local<v8::String> text;
  if (!string_argument(info, 0).ToLocal(&text)) return;
  // Lone surrogates count 3 bytes, as the U+FFFD that replaces each.
  const auto size = static_cast<std::size_t>(text->Utf8Length(call.isolate()));
  v8::Local<v8::Uint8Array> bytes;
  if (!call.reserve_heap(size) || !new_bytes(call, size).ToLocal(&bytes)) return;
  if (size > 0) {
    text->WriteUtf8(call.isolate(), static_cast<char*>(bytes->Buffer()->Data()),
                    static_cast<int>(size), nullptr,
                    v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  }
  call.set_result(bytes);
}

void encode_into(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "TextEncoder.prototype.encodeInto");
  if (!call.active()) return;
  v8::Local<v8::String> text;
  if (!string_argument(info, 0).ToLocal(&text)) return;
  if (info.Length() < 2 || !info[1]->IsUint8Array()) {
    call.type_error("the destination must be a Uint8Array");
    return;
  }
  v8::Local<v8::Uint8Array> destination = info[1].As<v8::Uint8Array>();
  v8::Local<v8::ArrayBuffer> buffer;
  if (!buffer_of(call, destination).ToLocal(&buffer)) return;
  char* data = static_cast<char*>(buffer->Data());
  int read = 0;
  int written = 0;
  if (data != nullptr && destination->ByteLength() > 0) {
    // Whole characters only, as many as fit; `read` counts UTF-16 units.
    written = text->WriteUtf8(call.isolate(), data + destination->ByteOffset(),
                              static_cast<int>(destination->ByteLength()), &read,
                              v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  }
  v8::Local<v8::Object> result;
  if (call.object({{"read", call.number(read)}, {"written", call.number(written)}})
          .ToLocal(&result)) {
    call.set_result(result);
  }
}

void encoding_name(v8::Local<v8::Name>, const v8::PropertyCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(v8::String::NewFromUtf8Literal(info.GetIsolate(), "utf-8"));
}

// ---- TextDecoder ----

// Internal fields of a TextDecoder.
enum Field { kFlags, kState, kFieldCount };
enum Flag { kFatal = 1, kIgnoreBom = 2, kBomSeen = 4 };

bool is_utf8_label(std::string label) {
  // The label, trimmed of ASCII whitespace and lowercased, names UTF-8.
  const std::size_t first = label.find_first_not_of(" \t\n\f\r");
  const std::size_t last = label.find_last_not_of(" \t\n\f\r");
  label = first == std::string::npos ? "" : label.substr(first, last - first + 1);
  for (char& c : label) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return label == "utf-8" || label == "utf8" || label == "unicode-1-1-utf-8" ||
         label == "unicode11utf8" || label == "unicode20utf8" || label == "x-unicode20utf8";
}

bool option(v8::Local<v8::Context> context, v8::Local<v8::Value> options, const char* name,
            bool& value) {
  value = false;
  if (options->IsUndefined() || options->IsNull()) return true;
  if (!options->IsObject()) return true;
  v8::Local<v8::Value> given;
  if (!options.As<v8::Object>()
           ->Get(context, v8::String::NewFromUtf8(context->GetIsolate(), name).ToLocalChecked())
           .ToLocal(&given)) {
    return false;
  }
  value = given->BooleanValue(context->GetIsolate());
  return true;
}

void text_decoder_new(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (!info.IsConstructCall()) {
    throw_error(isolate, &v8::Exception::TypeError,
                "Class constructor TextDecoder cannot be invoked without 'new'");
    return;
  }
  if (info.Length() > 0 && !info[0]->IsUndefined()) {
    v8::Local<v8::String> label;
    if (!info[0]->ToString(context).ToLocal(&label)) return;
    v8::String::Utf8Value utf8(isolate, label);
    if (!is_utf8_label(std::string(*utf8 == nullptr ? "" : *utf8, utf8.length()))) {
      throw_error(isolate, &v8::Exception::RangeError,
                  "TextDecoder: only UTF-8 is supported (labels utf-8, utf8, unicode-1-1-utf-8)");
      return;
    }
  }
  bool fatal = false;
  bool ignore_bom = false;
  v8::Local<v8::Value> options =
      info.Length() > 1 ? info[1] : v8::Undefined(isolate).As<v8::Value>();
  if (!option(context, options, "fatal", fatal) ||
      !option(context, options, "ignoreBOM", ignore_bom)) {
    return;
  }
  info.This()->SetInternalField(
      kFlags, v8::Integer::New(isolate, (fatal ? kFatal : 0) | (ignore_bom ? kIgnoreBom : 0)));
  info.This()->SetInternalField(kState, v8::Number::New(isolate, Utf8State{}.packed()));
}

// The decoder `this` is, or nothing (a TypeError thrown).
std::optional<v8::Local<v8::Object>> decoder_of(OpCall& call) {
  const v8::FunctionCallbackInfo<v8::Value>& info = call.info();
  v8::Local<v8::FunctionTemplate> decoder = call.host().encoding.text_decoder.Get(call.isolate());
  if (!decoder->HasInstance(info.This()) || info.This()->InternalFieldCount() != kFieldCount) {
    call.type_error("called on an object that is not a TextDecoder");
    return std::nullopt;
  }
  return info.This();
}

void decode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "TextDecoder.prototype.decode");
  if (!call.active()) return;
  std::optional<v8::Local<v8::Object>> self = decoder_of(call);
  if (!self) return;
  v8::Isolate* isolate = call.isolate();
  // The options first: reading them may run the script's getters, which must not see the
  // input's bytes half-read.
  bool stream = false;
  if (!option(call.context(), info.Length() > 1 ? info[1] : v8::Undefined(isolate).As<v8::Value>(),
              "stream", stream)) {
    return;
  }
  std::string_view bytes;
  if (info.Length() > 0 && !info[0]->IsUndefined()) {
    switch (bytes_of(call, info[0], bytes)) {
      case BytesOf::kBytes:
        break;
      case BytesOf::kNotBytes:
        call.type_error("the input must be an ArrayBuffer or an ArrayBufferView");
        return;
      case BytesOf::kFailed:
        return;
    }
  }
  int flags = (*self)->GetInternalField(kFlags).As<v8::Integer>()->Value();
  Utf8State state =
      Utf8State::unpacked((*self)->GetInternalField(kState).As<v8::Number>()->Value());
  // The text: at most one UTF-16 unit per byte, plus a U+FFFD at the end.
  if (!call.reserve_heap(2 * (bytes.size() + 1))) return;
  std::u16string text;
  const bool ok = decode_utf8(state, bytes, !stream, flags & kFatal, text);
  if (!ok || !stream) state = {};
  if (ok && !(flags & kIgnoreBom) && !(flags & kBomSeen) && !text.empty()) {
    if (text.front() == u'\uFEFF') text.erase(0, 1);
    flags |= kBomSeen;
  }
  if (!ok || !stream) flags &= ~kBomSeen;  // the next call begins a new stream
  (*self)->SetInternalField(kFlags, v8::Integer::New(isolate, flags));
  (*self)->SetInternalField(kState, v8::Number::New(isolate, state.packed()));
  if (!ok) {
    throw_error(isolate, &v8::Exception::TypeError,
                "TextDecoder.prototype.decode: the encoded data was not valid UTF-8");
    return;
  }
  v8::Local<v8::String> result;
  if (text.size() > static_cast<std::size_t>(v8::String::kMaxLength) ||
      !v8::String::NewFromTwoByte(isolate, reinterpret_cast<const std::uint16_t*>(text.data()),
                                  v8::NewStringType::kNormal, static_cast<int>(text.size()))
           .ToLocal(&result)) {
    call.string_too_long(text.size());
    return;
  }
  call.set_result(result);
}

template <Flag flag>
void decoder_flag(v8::Local<v8::Name>, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Local<v8::FunctionTemplate> decoder =
      host_of(info).encoding.text_decoder.Get(info.GetIsolate());
  if (!decoder->HasInstance(info.This())) return;
  info.GetReturnValue().Set(
      (info.This()->GetInternalField(kFlags).As<v8::Integer>()->Value() & flag) != 0);
}

// ---- atob, btoa (HTML's forgiving base64) ----

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void invalid_character(OpCall& call, const char* message) {
  throw_dom_exception(call.context(), call.host(), message, "InvalidCharacterError");
}

// The one argument of atob and btoa as UTF-16 units, as String(value) makes it; nothing when
// there is none, it throws, or its copies would pass the heap cap (the error thrown).
std::optional<std::u16string> units_of_argument(OpCall& call) {
  const v8::FunctionCallbackInfo<v8::Value>& info = call.info();
  if (info.Length() == 0) {
    call.type_error("1 argument required, but only 0 present");
    return std::nullopt;
  }
  v8::Local<v8::String> text;
  if (!info[0]->ToString(call.context()).ToLocal(&text)) return std::nullopt;
  const auto length = static_cast<std::size_t>(text->Length());
  if (!call.reserve_heap(4 * length)) return std::nullopt;
  std::u16string units(length, u'\0');
  text->Write(call.isolate(), reinterpret_cast<std::uint16_t*>(units.data()), 0,
              static_cast<int>(length), v8::String::NO_NULL_TERMINATION);
  return units;
}

void btoa(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "btoa");
  if (!call.active()) return;
  std::optional<std::u16string> given = units_of_argument(call);
  if (!given) return;
  const std::u16string& units = *given;
  const std::size_t length = units.size();
  std::string encoded;
  encoded.reserve((length + 2) / 3 * 4);
  for (std::size_t i = 0; i < length; i += 3) {
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      const char16_t unit = i + j < length ? units[i + j] : u'\0';
      if (unit > 0xFF) {
        invalid_character(call, "btoa: the string holds characters outside Latin-1 (above U+00FF)");
        return;
      }
      group = group << 8 | unit;
    }
    const std::size_t present = std::min<std::size_t>(3, length - i);
    for (std::size_t k = 0; k < 4; ++k) {
      encoded += k <= present ? kBase64[group >> (18 - 6 * k) & 0x3F] : '=';
    }
  }
  call.set_result(call.string(encoded));
}

void atob(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "atob");
  if (!call.active()) return;
  std::optional<std::u16string> units = units_of_argument(call);
  if (!units) return;
  std::string data;  // without ASCII whitespace
  for (char16_t unit : *units) {
    if (unit == ' ' || unit == '\t' || unit == '\n' || unit == '\f' || unit == '\r') continue;
    if (unit > 0x7F) {
      invalid_character(call, "atob: the string is not valid base64");
      return;
    }
    data += static_cast<char>(unit);
  }
  // Only a length that is a multiple of 4 may end in one or two '='.
  if (data.size() % 4 == 0 && data.ends_with("==")) {
    data.resize(data.size() - 2);
  } else if (data.size() % 4 == 0 && data.ends_with('=')) {
    data.pop_back();
  }
  if (data.size() % 4 == 1 || data.find_first_not_of(kBase64) != std::string::npos) {
    invalid_character(call, "atob: the string is not valid base64");
    return;
  }
  std::string decoded;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : data) {
    buffer = buffer << 6 | static_cast<std::uint32_t>(kBase64.find(c));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded += static_cast<char>(buffer >> bits & 0xFF);
    }
  }
  v8::Local<v8::String> result;
  if (decoded.size() > static_cast<std::size_t>(v8::String::kMaxLength) ||
      !v8::String::NewFromOneByte(call.isolate(),
                                  reinterpret_cast<const std::uint8_t*>(decoded.data()),
                                  v8::NewStringType::kNormal, static_cast<int>(decoded.size()))
           .ToLocal(&result)) {
    call.string_too_long(decoded.size());
    return;
  }
  call.set_result(result);
}

// ---- the globals, made on first use ----

v8::Local<v8::FunctionTemplate> method(v8::Isolate* isolate, v8::Local<v8::Value> data,
                                       v8::FunctionCallback callback, int length) {
  return v8::FunctionTemplate::New(isolate, callback, data, {}, length,
                                   v8::ConstructorBehavior::kThrow);
}

v8::Local<v8::FunctionTemplate> text_encoder_template(v8::Isolate* isolate, OpHost& host) {
  if (!host.encoding.text_encoder.IsEmpty()) return host.encoding.text_encoder.Get(isolate);
  v8::Local<v8::External> data = v8::External::New(isolate, &host);
  v8::Local<v8::FunctionTemplate> encoder =
      v8::FunctionTemplate::New(isolate, &text_encoder_new, data);
  encoder->SetClassName(v8::String::NewFromUtf8Literal(isolate, "TextEncoder"));
  v8::Local<v8::ObjectTemplate> prototype = encoder->PrototypeTemplate();
  prototype->Set(isolate, "encode", method(isolate, data, &encode, 0));
  prototype->Set(isolate, "encodeInto", method(isolate, data, &encode_into, 2));
  prototype->SetAccessor(v8::String::NewFromUtf8Literal(isolate, "encoding"), &encoding_name);
  host.encoding.text_encoder.Reset(isolate, encoder);
  return encoder;
}

v8::Local<v8::FunctionTemplate> text_decoder_template(v8::Isolate* isolate, OpHost& host) {
  if (!host.encoding.text_decoder.IsEmpty()) return host.encoding.text_decoder.Get(isolate);
  v8::Local<v8::External> data = v8::External::New(isolate, &host);
  v8::Local<v8::FunctionTemplate> decoder =
      v8::FunctionTemplate::New(isolate, &text_decoder_new, data);
  decoder->SetClassName(v8::String::NewFromUtf8Literal(isolate, "TextDecoder"));
  decoder->InstanceTemplate()->SetInternalFieldCount(kFieldCount);
  v8::Local<v8::ObjectTemplate> prototype = decoder->PrototypeTemplate();
  prototype->Set(isolate, "decode", method(isolate, data, &decode, 0));
  prototype->SetAccessor(v8::String::NewFromUtf8Literal(isolate, "encoding"), &encoding_name);
  prototype->SetAccessor(v8::String::NewFromUtf8Literal(isolate, "fatal"), &decoder_flag<kFatal>,
                         nullptr, data);
  prototype->SetAccessor(v8::String::NewFromUtf8Literal(isolate, "ignoreBOM"),
                         &decoder_flag<kIgnoreBom>, nullptr, data);
  host.encoding.text_decoder.Reset(isolate, decoder);
  return decoder;
}

template <v8::Local<v8::FunctionTemplate> (*make)(v8::Isolate*, OpHost&)>
void class_on_first_use(v8::Local<v8::Name>, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Function> constructor;
  if (make(isolate, host_of(info))
          ->GetFunction(isolate->GetCurrentContext())
          .ToLocal(&constructor)) {
    info.GetReturnValue().Set(constructor);
  }
}

}  // namespace

bool install_encoding_globals(v8::Local<v8::Context> context, v8::Local<v8::External> data) {
  // As Web IDL has them: interfaces are not enumerable, operations are.
  return set_lazy_global(context, "TextEncoder", &class_on_first_use<&text_encoder_template>, data,
                         v8::DontEnum) &&
         set_lazy_global(context, "TextDecoder", &class_on_first_use<&text_decoder_template>, data,
                         v8::DontEnum) &&
         set_lazy_global(context, "atob", &function_on_first_use<&atob, 1>, data) &&
         set_lazy_global(context, "btoa", &function_on_first_use<&btoa, 1>, data);
}

}  // namespace krepis

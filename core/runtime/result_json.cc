#include "core/runtime/result_json.h"

#include <v8-container.h>
#include <v8-exception.h>
#include <v8-isolate.h>
#include <v8-primitive.h>
#include <v8-regexp.h>
#include <v8-typed-array.h>

#include <cmath>
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

// The console/inspect formatter (core/ops/inspect) on JavaScript values the fuzzer builds:
// a small stack machine whose instructions push primitives (odd numbers, strings with lone
// surrogates, symbols, BigInts) and combine what is on the stack into arrays (sparse too),
// objects, Maps, Sets, typed arrays, errors, promises, proxies, boxed primitives and cycles.
// Objects carry getters, proxy traps, toString, valueOf and Symbol.toPrimitive that end the
// process when called. Must hold: inspection never calls script code (but for the first read
// of an error's stack, which inspect.h allows); the value as a report's result
// (core/runtime/result_json) is one JSON value; inspection's text is well-formed
// UTF-8 and bounded by the options' budget, whatever depth and item limits the fuzzer picks.
#include <v8-container.h>
#include <v8-date.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-primitive-object.h>
#include <v8-promise.h>
#include <v8-proxy.h>
#include <v8-regexp.h>
#include <v8-typed-array.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/base/json_syntax.h"
#include "core/base/utf8.h"
#include "core/engine/v8_text.h"
#include "core/ops/inspect.h"
#include "core/runtime/result_json.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/v8_fixture.h"

using krepis::fuzz::check;
using krepis::fuzz::Choices;

namespace {

// Set while inspect() runs: building the value may call the traps (resolving a promise with
// a proxy asks it for `then`), inspecting it must not.
bool inspecting = false;

void called_script_code(const v8::FunctionCallbackInfo<v8::Value>&) {
  check(!inspecting, "inspection never calls a script's code");
}

class ValueBuilder {
 public:
  ValueBuilder(v8::Local<v8::Context> context, Choices& choices)
      : isolate_(context->GetIsolate()), context_(context), choices_(choices) {}

  v8::Local<v8::Value> build() {
    for (int step = 0; step < 64 && !choices_.empty(); ++step) this->step();
    return stack_.empty() ? v8::Undefined(isolate_).As<v8::Value>() : stack_.back();
  }

 private:
  v8::Local<v8::Value> pop() {
    if (stack_.empty()) return v8::Undefined(isolate_);
    v8::Local<v8::Value> top = stack_.back();
    stack_.pop_back();
    return top;
  }
  std::vector<v8::Local<v8::Value>> pop_some() {
    std::vector<v8::Local<v8::Value>> values;
    for (std::size_t n = choices_.below(5); n > 0 && !stack_.empty(); --n) values.push_back(pop());
    return values;
  }
  v8::Local<v8::Function> trap() {
    return v8::Function::New(context_, called_script_code).ToLocalChecked();
  }
  v8::Local<v8::String> string() {
    // UTF-16 units, lone surrogates included, or one-byte text.
    std::string_view bytes = choices_.bytes(24);
    if (choices_.byte() & 1) {
      std::vector<std::uint16_t> units(bytes.size() / 2);
      if (!units.empty()) std::memcpy(units.data(), bytes.data(), units.size() * 2);
      return v8::String::NewFromTwoByte(isolate_, units.data(), v8::NewStringType::kNormal,
                                        static_cast<int>(units.size()))
          .ToLocalChecked();
    }
    return v8::String::NewFromOneByte(isolate_, reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                      v8::NewStringType::kNormal, static_cast<int>(bytes.size()))
        .ToLocalChecked();
  }
  double number() {
    double value = 0;
    std::string_view bytes = choices_.bytes(8);
    std::memcpy(&value, bytes.data(), std::min(bytes.size(), sizeof value));
    return value;
  }
  // Gives an object the traps a careless inspector would call.
  void arm(v8::Local<v8::Object> object) {
    switch (choices_.below(4)) {
      case 0:
        object->SetAccessorProperty(string(), trap(), trap());
        break;
      case 1:
        object->Set(context_, v8::String::NewFromUtf8Literal(isolate_, "toString"), trap())
            .FromMaybe(false);
        object->Set(context_, v8::String::NewFromUtf8Literal(isolate_, "valueOf"), trap())
            .FromMaybe(false);
        break;
      case 2:
        object->Set(context_, v8::Symbol::GetToPrimitive(isolate_), trap()).FromMaybe(false);
        object->Set(context_, v8::Symbol::GetToStringTag(isolate_), string()).FromMaybe(false);
        break;
      default:
        break;
    }
  }
  // An object on the stack (not pushed again: shared references would make the result's JSON
  // grow exponentially with nesting), or a new one, which is pushed.
  v8::Local<v8::Object> any_object(bool& fresh) {
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      if ((*it)->IsObject() && !(*it)->IsProxy()) {
        fresh = false;
        return it->As<v8::Object>();
      }
    }
    fresh = true;
    return v8::Object::New(isolate_);
  }

  void step() {
    v8::Local<v8::Value> made;
    switch (choices_.below(22)) {
      case 0:
        made = v8::Undefined(isolate_);
        break;
      case 1:
        made = v8::Null(isolate_);
        break;
      case 2:
        made = v8::Boolean::New(isolate_, choices_.byte() & 1);
        break;
      case 3:
        made = v8::Number::New(isolate_, number());
        break;
      case 4:
        made = string();
        break;
      case 5:
        made = v8::Symbol::New(isolate_, string());
        break;
      case 6: {
        std::string_view bytes = choices_.bytes(24);
        std::vector<std::uint64_t> words((bytes.size() + 7) / 8);
        if (!words.empty()) std::memcpy(words.data(), bytes.data(), bytes.size());
        made = v8::BigInt::NewFromWords(context_, choices_.byte() & 1,
                                        static_cast<int>(words.size()), words.data())
                   .FromMaybe(v8::Local<v8::BigInt>());
        break;
      }
      case 7:
        made = v8::Date::New(context_, number()).FromMaybe(v8::Local<v8::Value>());
        break;
      case 8: {
        made =
            v8::RegExp::New(context_, string(), static_cast<v8::RegExp::Flags>(choices_.below(64)))
                .FromMaybe(v8::Local<v8::RegExp>());
        break;
      }
      case 9: {
        auto values = pop_some();
        v8::Local<v8::Array> array = v8::Array::New(isolate_, values.data(), values.size());
        if (choices_.byte() & 1) {  // sparse: a hole-filled length
          array
              ->Set(context_, static_cast<std::uint32_t>(choices_.below(256) * 10),
                    v8::Null(isolate_))
              .FromMaybe(false);
        }
        made = array;
        break;
      }
      case 10: {
        v8::Local<v8::Object> object =
            choices_.byte() & 1
                ? v8::Object::New(isolate_)
                : v8::Object::New(isolate_, v8::Null(isolate_), nullptr, nullptr, 0);
        for (v8::Local<v8::Value> value : pop_some()) {
          v8::Local<v8::Value> key = choices_.byte() & 1
                                         ? v8::Symbol::New(isolate_, string()).As<v8::Value>()
                                         : string().As<v8::Value>();
          object->Set(context_, key, value).FromMaybe(false);
        }
        arm(object);
        made = object;
        break;
      }
      case 11: {
        v8::Local<v8::Map> map = v8::Map::New(isolate_);
        for (v8::Local<v8::Value> value : pop_some())
          map = map->Set(context_, value, pop()).ToLocalChecked();
        made = map;
        break;
      }
      case 12: {
        v8::Local<v8::Set> set = v8::Set::New(isolate_);
        for (v8::Local<v8::Value> value : pop_some())
          set = set->Add(context_, value).ToLocalChecked();
        made = set;
        break;
      }
      case 13: {
        const std::size_t length = choices_.below(64);
        v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate_, length * 8);
        switch (choices_.below(4)) {
          case 0:
            made = v8::Uint8Array::New(buffer, 0, length);
            break;
          case 1:
            made = v8::Float64Array::New(buffer, 0, length);
            break;
          case 2:
            made = v8::BigInt64Array::New(buffer, 0, length);
            break;
          default:
            made = v8::DataView::New(buffer, 0, length);
            break;
        }
        break;
      }
      case 14: {  // a cycle: an object holds itself, or something below it
        bool fresh = false;
        v8::Local<v8::Object> object = any_object(fresh);
        object->Set(context_, string(), object).FromMaybe(false);
        if (!stack_.empty()) object->Set(context_, string(), stack_.front()).FromMaybe(false);
        if (fresh) made = object;
        break;
      }
      case 15: {
        v8::Local<v8::Value> error = v8::Exception::Error(string());
        if (choices_.byte() & 1) {
          error.As<v8::Object>()
              ->Set(context_, v8::String::NewFromUtf8Literal(isolate_, "cause"), pop())
              .FromMaybe(false);
        }
        // The first read of an error's stack formats it, which may run script code (its
        // name and message getters, Error.prepareStackTrace): the one place inspection may,
        // under the run's deadline (inspect.h). Read here, the stack is formatted and kept.
        error.As<v8::Object>()
            ->Get(context_, v8::String::NewFromUtf8Literal(isolate_, "stack"))
            .FromMaybe(v8::Local<v8::Value>());
        made = error;
        break;
      }
      case 16: {
        v8::Local<v8::Promise::Resolver> resolver =
            v8::Promise::Resolver::New(context_).ToLocalChecked();
        const std::size_t how = choices_.below(3);
        if (how == 1) resolver->Resolve(context_, pop()).FromMaybe(false);
        if (how == 2) resolver->Reject(context_, pop()).FromMaybe(false);
        made = resolver->GetPromise();
        break;
      }
      case 17: {
        v8::Local<v8::Object> handler = v8::Object::New(isolate_);
        for (const char* name :
             {"get", "has", "ownKeys", "getOwnPropertyDescriptor", "getPrototypeOf", "apply"}) {
          handler->Set(context_, v8::String::NewFromUtf8(isolate_, name).ToLocalChecked(), trap())
              .FromMaybe(false);
        }
        bool fresh = false;
        made = v8::Proxy::New(context_, any_object(fresh), handler).FromMaybe(v8::Local<v8::Proxy>());
        break;
      }
      case 18: {
        switch (choices_.below(4)) {
          case 0:
            made = v8::NumberObject::New(isolate_, number());
            break;
          case 1:
            made = v8::StringObject::New(isolate_, string());
            break;
          case 2:
            made = v8::BooleanObject::New(isolate_, choices_.byte() & 1);
            break;
          default:
            made = v8::SymbolObject::New(isolate_, v8::Symbol::New(isolate_));
            break;
        }
        break;
      }
      case 19:
        made = trap();
        break;
      case 20: {  // deep nesting: an array inside an array, many times
        v8::Local<v8::Value> inner = pop();
        for (std::size_t n = choices_.below(64); n > 0; --n)
          inner = v8::Array::New(isolate_, &inner, 1);
        made = inner;
        break;
      }
      default: {
        bool fresh = false;
        v8::Local<v8::Object> object = any_object(fresh);
        object->SetPrototype(context_, pop()).FromMaybe(false);
        if (fresh) made = object;
        break;
      }
    }
    if (!made.IsEmpty()) stack_.push_back(made);
  }

  v8::Isolate* isolate_;
  v8::Local<v8::Context> context_;
  Choices& choices_;
  std::vector<v8::Local<v8::Value>> stack_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  krepis::fuzz::V8Input v8_input;
  v8::TryCatch try_catch(v8_input.fixture.isolate());
  Choices choices(data, size);
  krepis::InspectOptions options;
  options.depth = static_cast<int>(choices.below(8)) - 1;
  options.max_items = choices.below(128);
  options.max_string = choices.below(1024);
  options.budget = 1 + choices.below(256) * 64;
  v8::Local<v8::Value> value = ValueBuilder(v8_input.context, choices).build();
  inspecting = true;
  std::optional<std::string> text = krepis::inspect(v8_input.context, value, options);
  inspecting = false;
  // The same value as a report's result (core/runtime/result_json): the report line splices
  // that text in as it is, so it must be one JSON value, whatever the value was. (Script
  // code may run here: JSON.stringify calls getters and toJSON, as a run's would.)
  v8::Local<v8::Function> stringify;
  check(krepis::intrinsic_stringify(v8_input.context).ToLocal(&stringify), "JSON.stringify");
  v8::Local<v8::String> json;
  if (krepis::result_json(v8_input.context, stringify, value).ToLocal(&json)) {
    const std::string line = krepis::to_utf8(v8_input.fixture.isolate(), json);
    check(!krepis::json_syntax_error("result", line), "a result is one JSON value");
    check(nlohmann::json::accept(krepis::nlohmann_parsable(line)), "summarize can read it");
  }
  check(text.has_value(), "inspection ends without termination");
  check(!krepis::first_invalid_utf8(*text), "the text is UTF-8");
  // The budget, and the "…" that says the rest was elided.
  check(text->size() <= options.budget + std::strlen("…"), "the text is bounded by the budget");
  return 0;
}

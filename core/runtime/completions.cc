#include "core/runtime/completions.h"

#include <v8-container.h>
#include <v8-exception.h>
#include <v8-script.h>
#include <v8-isolate.h>
#include <v8-object.h>
#include <v8-primitive.h>

#include <algorithm>
#include <set>

#include "core/engine/v8_text.h"
#include "core/runtime/own_property.h"

namespace krepis {
namespace {

// Prototype chains are short; a longer one is built to make us walk.
constexpr int kMaxChain = 64;

// ASCII identifiers only: a name offered is printed on the operator's terminal and inserted
// into the line (no C1 control, no bidi override of the script's), and a name evaluated by
// script_binding must be a bare name and nothing else (no-break space is whitespace to JS).
bool is_identifier(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

enum class Found { kValue, kAbsent, kUntouchable };

// The value of `name` found on `object` or its prototypes as a data property. kAbsent when
// no object of the chain has it; kUntouchable when one has it as an accessor, or a Proxy
// (whose traps are the script's code) stands in the chain.
Found data_property(v8::Local<v8::Context> context, v8::Local<v8::Object> object,
                    const std::string& name, v8::Local<v8::Value>& value) {
  v8::Local<v8::String> key;
  if (!to_v8(context->GetIsolate(), name).ToLocal(&key)) return Found::kUntouchable;
  for (int depth = 0; depth < kMaxChain; ++depth) {
    switch (own_property(context, object, key, value)) {
      case OwnProperty::kData:
        return Found::kValue;
      case OwnProperty::kOther:
        return Found::kUntouchable;
      case OwnProperty::kAbsent:
        break;
    }
    v8::Local<v8::Value> prototype = object->GetPrototype();
    if (!prototype->IsObject()) return Found::kAbsent;
    object = prototype.As<v8::Object>();
  }
  return Found::kUntouchable;
}

// A `let`, `const` or `class` of an earlier entry: a binding of the script scope, not a
// property of the global object, which the API does not list. Evaluating the bare name
// reads it, and runs nothing of the script's when the global object's chain has no such
// name and no Proxy (data_property said kAbsent): the name then resolves to the binding,
// or to a ReferenceError.
v8::MaybeLocal<v8::Value> script_binding(v8::Local<v8::Context> context, const std::string& name) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::String> source;
  v8::Local<v8::Script> script;
  if (!to_v8(isolate, name).ToLocal(&source) ||
      !v8::Script::Compile(context, source).ToLocal(&script)) {
    return {};
  }
  return script->Run(context);
}

}  // namespace

std::vector<std::string> property_completions(v8::Local<v8::Context> context,
                                              const std::vector<std::string>& path,
                                              std::string_view prefix) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> current = context->Global();
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (!current->IsObject() || !is_identifier(path[i])) return {};
    v8::Local<v8::Value> next;
    switch (data_property(context, current.As<v8::Object>(), path[i], next)) {
      case Found::kValue:
        current = next;
        break;
      case Found::kAbsent:
        if (i > 0 || !script_binding(context, path[i]).ToLocal(&current)) return {};
        break;
      case Found::kUntouchable:
        return {};
    }
  }
  if (!current->IsObject()) return {};
  std::set<std::string> names;
  v8::Local<v8::Object> object = current.As<v8::Object>();
  for (int depth = 0; depth < kMaxChain && names.size() < kMaxCompletions; ++depth) {
    if (object->IsProxy()) break;
    // Without indices: a big array or string has millions, and none is a name to offer.
    v8::Local<v8::Array> keys;
    if (!object
             ->GetPropertyNames(context, v8::KeyCollectionMode::kOwnOnly,
                                v8::PropertyFilter::SKIP_SYMBOLS, v8::IndexFilter::kSkipIndices,
                                v8::KeyConversionMode::kConvertToString)
             .ToLocal(&keys)) {
      break;
    }
    for (std::uint32_t i = 0; i < keys->Length() && names.size() < kMaxCompletions; ++i) {
      v8::Local<v8::Value> key;
      if (!keys->Get(context, i).ToLocal(&key) || !key->IsString()) continue;
      std::string name = to_utf8(isolate, key.As<v8::String>());
      if (name.starts_with(prefix) && is_identifier(name)) names.insert(std::move(name));
    }
    v8::Local<v8::Value> prototype = object->GetPrototype();
    if (!prototype->IsObject()) break;
    object = prototype.As<v8::Object>();
  }
  return {names.begin(), names.end()};
}

}  // namespace krepis

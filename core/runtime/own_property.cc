#include "core/runtime/own_property.h"

#include <v8-isolate.h>
#include <v8-primitive.h>

#include "core/engine/v8_text.h"

namespace krepis {

OwnProperty own_property(v8::Local<v8::Context> context, v8::Local<v8::Object> object,
                         v8::Local<v8::Name> key, v8::Local<v8::Value>& value) {
  if (object->IsProxy()) return OwnProperty::kOther;
  // A native accessor runs host code that may run the script's: a lazy global made on first
  // read (its making calls setters of the script's), an Error's `stack` (which calls
  // Error.prepareStackTrace). Asking whether there is one runs nothing.
  if (object->HasRealNamedCallbackProperty(context, key).FromMaybe(true)) {
    return OwnProperty::kOther;
  }
  v8::Local<v8::Value> descriptor;
  v8::Local<v8::String> value_key;
  if (!object->GetOwnPropertyDescriptor(context, key).ToLocal(&descriptor) ||
      !to_v8(context->GetIsolate(), "value").ToLocal(&value_key)) {
    return OwnProperty::kOther;
  }
  if (descriptor->IsUndefined()) return OwnProperty::kAbsent;
  // V8 made the descriptor: an ordinary object whose own `value` is read without a lookup
  // that could reach a getter on Object.prototype.
  v8::Local<v8::Object> fields = descriptor.As<v8::Object>();
  if (!fields->HasOwnProperty(context, value_key).FromMaybe(false) ||
      !fields->Get(context, value_key).ToLocal(&value)) {
    return OwnProperty::kOther;
  }
  return OwnProperty::kData;
}

}  // namespace krepis

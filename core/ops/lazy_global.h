// Globals made on first use (issue 15: no cost when unused): a lazy data property, whose
// getter V8 calls once, on the first read, and replaces with what it returns.
#pragma once

#include <v8-context.h>
#include <v8-function.h>
#include <v8-isolate.h>
#include <v8-object.h>
#include <v8-primitive.h>

namespace krepis {

// The getter of a lazy data property that makes a function of `callback`, with the
// property's data as the function's data. The function cannot be called with `new`.
template <v8::FunctionCallback callback, int length>
void function_on_first_use(v8::Local<v8::Name>, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Local<v8::Function> function;
  if (v8::Function::New(info.GetIsolate()->GetCurrentContext(), callback, info.Data(), length,
                        v8::ConstructorBehavior::kThrow)
          .ToLocal(&function)) {
    info.GetReturnValue().Set(function);
  }
}

// Puts a lazy data property on the context's global object; false if V8 refused
// (termination).
inline bool set_lazy_global(v8::Local<v8::Context> context, const char* name,
                            v8::AccessorNameGetterCallback getter, v8::Local<v8::Value> data,
                            v8::PropertyAttribute attributes = v8::None) {
  v8::Local<v8::String> key;
  return v8::String::NewFromUtf8(context->GetIsolate(), name, v8::NewStringType::kInternalized)
             .ToLocal(&key) &&
         context->Global()
             ->SetLazyDataProperty(context, key, getter, data, attributes)
             .FromMaybe(false);
}

}  // namespace krepis

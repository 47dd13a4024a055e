// Reading an object's own property without running any of the script's code: for the
// REPL's Tab (completions.cc) and its `_` (script_execution.cc), which look at what the
// script left on the global object between its runs, outside any deadline.
#pragma once

#include <v8-context.h>
#include <v8-object.h>

namespace krepis {

enum class OwnProperty {
  kAbsent,  // the object has no own property of that name
  kData,    // a data property: its value is set
  kOther,   // an accessor (the script's or a native one), a Proxy, or V8 refused to say
};

// What `object` holds under `key`, and for a data property its value. No getter, native
// accessor (a lazy global, an Error's `stack`) or Proxy trap runs.
OwnProperty own_property(v8::Local<v8::Context> context, v8::Local<v8::Object> object,
                         v8::Local<v8::Name> key, v8::Local<v8::Value>& value);

}  // namespace krepis

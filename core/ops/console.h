// console.log / info / warn / error / debug: shared by every tenant. Each call becomes one
// entry of the run's output (captured for the report, shown live in human mode), formatted
// as inspect.h describes.
#pragma once

#include <v8-template.h>

#include "core/ops/op_host.h"

namespace krepis {

// The template of the `console` object; built once per isolate, instantiated per context.
// (It replaces V8's built-in console, whose methods do nothing without an inspector.)
v8::Local<v8::ObjectTemplate> make_console_template(v8::Isolate* isolate, OpHost& host);

}  // namespace krepis

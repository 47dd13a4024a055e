// Readable text for JavaScript values, as console.log shows them (and the REPL its results):
// objects, arrays, Maps, Sets, typed arrays, errors with their stack, dates, promises,
// cycles marked [Circular]. Inspection never calls a script's getters, proxy traps, toString
// or valueOf: accessors show as [Getter]/[Setter]. Script code runs in two places only, both
// under the run's deadline: when an error's stack is first read, V8 formats it, which calls
// Error.prepareStackTrace and the error's name and message getters (or its prototype's proxy
// traps; found by tests/fuzz/inspect); and console's %j, which is JSON.stringify (and so
// calls toJSON methods and getters).
#pragma once

#include <v8-context.h>
#include <v8-function-callback.h>
#include <v8-value.h>

#include <cstddef>
#include <optional>
#include <string>

namespace krepis {

struct InspectOptions {
  int depth = 2;                     // nesting shown before [Object] / [Array]
  std::size_t max_items = 100;       // entries shown per array, object, Map or Set
  std::size_t max_string = 10'000;   // characters shown of a nested string
  std::size_t budget = 1024 * 1024;  // total characters; past it, the rest is elided
  bool quote_strings = false;        // a string value in quotes, as inside an object
};

// nullopt when execution was terminated meanwhile (the caller lets termination go on).
std::optional<std::string> inspect(v8::Local<v8::Context> context, v8::Local<v8::Value> value,
                                   const InspectOptions& options = {});

// console's formatting of a call's arguments from `first` on: printf-style %s %d %i %f %j %o
// %O %c %% in a leading string, then the other arguments, strings as they are and the rest
// inspected, separated by spaces. nullopt when execution was terminated meanwhile.
std::optional<std::string> format_log_arguments(const v8::FunctionCallbackInfo<v8::Value>& info,
                                                int first = 0);

}  // namespace krepis

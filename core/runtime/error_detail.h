// What a script author needs to find an uncaught error, beyond its one-line message: the
// line of source it was thrown at with a caret under the place, the stack's frames, and the
// chain of `cause`s. The report carries them (error_source, stack, causes); human output
// prints them as node does.
#pragma once

#include <v8-context.h>
#include <v8-message.h>
#include <v8-value.h>

#include <string>
#include <vector>

namespace krepis {

struct ErrorDetail {
  std::string source_line;  // the line, as written (at most kMaxSourceLine bytes of it)
  std::string caret;        // blanks (tabs kept) up to the place, then '^'
  std::string stack;        // "    at f (x.js:2:9)" lines; empty when there are none
  std::vector<std::string> causes;  // "Error: inner" for error.cause, its cause, and so on
};

// A long line (minified code) is shown as this many bytes around the place.
inline constexpr std::size_t kMaxSourceLine = 160;
// The stack's frames past this many bytes are left out, and a last line says so.
inline constexpr std::size_t kMaxStackBytes = 8 * 1024;
// Causes followed, at most (a cause may be its own cause), and the bytes kept of each.
inline constexpr std::size_t kMaxCauses = 8;
inline constexpr std::size_t kMaxCauseBytes = 1024;

// Reading an error's stack and causes may run the script's code (Error.prepareStackTrace,
// getters): call it under the run's deadline. It stops at what it has once execution is
// terminating, and never throws into the script.
ErrorDetail error_detail(v8::Local<v8::Context> context, v8::Local<v8::Value> exception,
                         v8::Local<v8::Message> message);

}  // namespace krepis

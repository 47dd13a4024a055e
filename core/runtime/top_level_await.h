// Top-level `await` in the REPL: an entry that awaits outside any function is rewritten
// into one async function (core/runtime/js/top_level_await.js, on acorn from Debian's
// node-acorn) and run as that, so `const r = await f()` works at the prompt as in node's
// REPL. Only the REPL asks (Job::remember_result), and only for an entry V8 refused because
// of such an `await`: every other script runs exactly as written.
#pragma once

#include <v8-isolate.h>

#include <optional>
#include <string>
#include <string_view>

namespace krepis {

// Whether V8's compile error says the source awaits where a classic script may not.
bool is_top_level_await_error(std::string_view message);

// The rewritten source, whose first line is krepis's (compile it with a line offset of -1,
// so that the entry's own lines keep their numbers), made in a context of its own (the run's intrinsics play no part);
// nothing when the source does not parse even with top-level await, or when the run was
// stopped meanwhile. Needs a HandleScope; runs under the run's deadline.
std::optional<std::string> rewrite_top_level_await(v8::Isolate* isolate, std::string_view source);

}  // namespace krepis

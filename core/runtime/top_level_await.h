// Top-level `await` in the REPL: an entry that awaits outside any function is rewritten
// into one async function (core/runtime/js/top_level_await.js, on acorn from Debian's
// node-acorn) and run as that, so `const r = await f()` works at the prompt as in node's
// REPL. Only the REPL asks (Job::remember_result), and only for an entry whose text says
// `await`: every other script runs exactly as written, and so does an entry that turns out
// not to await at its top level.
#pragma once

#include <v8-isolate.h>

#include <optional>
#include <string>
#include <string_view>

namespace krepis {

// Whether the source may await at its top level (it says `await`): only then is it worth
// asking rewrite_top_level_await.
bool may_await_at_top_level(std::string_view source);

// The rewritten source, whose first line is krepis's (compile it with a line offset of -1,
// so that the entry's own lines keep their numbers), made in a context of its own (the run's intrinsics play no part);
// nothing when the source does not await outside its functions, does not parse even with
// top-level await, or when the run was stopped meanwhile. The rewritten entry's value is
// an object whose `value` is the entry's result. Needs a HandleScope; runs under the run's deadline.
std::optional<std::string> rewrite_top_level_await(v8::Isolate* isolate, std::string_view source);

}  // namespace krepis

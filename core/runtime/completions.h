// What the REPL's Tab offers: the names of a kept context's globals, or of the properties
// of an object reached from them by a dotted path, found without running any script: a
// getter, a Proxy's trap or anything else that is the script's own code ends the search
// with nothing, since completing a name must never act on the session.
#pragma once

#include <v8-context.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace krepis {

// Offered at most: a name list longer than this is of no use at a prompt.
inline constexpr std::size_t kMaxCompletions = 1000;

// The property names of the value at `path` (global.a.b for {"a", "b"}; the global itself
// for none), own and inherited, that start with `prefix` and are identifiers, sorted and
// unique. Nothing when the path leads through an accessor, a Proxy or a value that is not
// an object. Needs a HandleScope and the context entered.
std::vector<std::string> property_completions(v8::Local<v8::Context> context,
                                              const std::vector<std::string>& path,
                                              std::string_view prefix);

}  // namespace krepis

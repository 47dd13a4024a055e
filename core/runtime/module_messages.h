// What the module graph's two halves (module_graph.cc, module_import.cc) share: reading what
// an import asks for without copying more of it than a message needs, and refusing it.
#pragma once

#include <v8-context.h>
#include <v8-container.h>
#include <v8-isolate.h>
#include <v8-primitive.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace krepis {

// At most this much of a script's text (a specifier, an assertion) is quoted in a message.
inline constexpr std::size_t kQuotedBytes = 200;

// `text` as one line, cut at kQuotedBytes (whole characters) with "…".
std::string excerpt(std::string_view text);

// The string's UTF-8, at most `limit` bytes of it; `whole` says whether that was all. A
// specifier of 100 MB costs the host no more than the limit.
std::string utf8_prefix(v8::Isolate* isolate, v8::Local<v8::String> text, std::size_t limit,
                        bool& whole);

// What an import asserts: { type: 'json' } or nothing. `stride`: 3 for a static import
// (key, value, offset), 2 for import() (key, value). False, with `why`, for anything else.
bool asserts_json(v8::Local<v8::Context> context, v8::Local<v8::FixedArray> assertions,
                  int stride, bool& json, std::string& why);

// Throws an Error with `message`, or with a fixed one when even that cannot be made: a V8
// callback that returns empty must leave an exception pending.
void throw_error(v8::Isolate* isolate, const std::string& message);

}  // namespace krepis

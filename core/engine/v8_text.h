// Small conversions between V8 strings and UTF-8, none of which can crash on an empty handle.
#pragma once

#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-primitive.h>

#include <string>
#include <string_view>

namespace krepis {

// Lone surrogates become U+FFFD, so the result is always valid UTF-8.
std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::String> value);

// Whether the string holds no lone surrogate, so its UTF-8 says what it says (to_utf8 would
// turn a lone surrogate into U+FFFD). Reads the string once; meant for short ones (paths).
bool is_well_formed(v8::Local<v8::String> value);

// Appends the string's UTF-8 to `out` without letting `out` pass `limit` bytes (whole
// characters only), so a huge string never costs its full size in host memory. Returns
// true when all of it fit.
bool append_utf8(v8::Isolate* isolate, v8::Local<v8::String> value, std::string& out,
                 std::size_t limit);

// An empty handle when the text is too long for V8 (or termination is pending).
v8::MaybeLocal<v8::String> to_v8(v8::Isolate* isolate, std::string_view text);

}  // namespace krepis

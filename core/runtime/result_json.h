// A run's completion value as JSON that loses nothing silently. JSON.stringify alone turns a
// Map or a Set into {}, drops a function, and refuses a BigInt; the report instead carries
// what was returned by these rules (docs/CLI.md, "The result"), at the top level and inside
// objects and arrays alike:
//   BigInt -> its digits as a string       NaN, Infinity, -Infinity -> that word, a string
//   Map -> [[key, value], ...]              Set -> [value, ...]
//   typed array, ArrayBuffer -> [number, ...] (BigInt64 elements as strings)
//   RegExp -> "/source/flags"               Error -> "Name: message"
//   Symbol -> "Symbol(description)"         function -> "[Function: name]"
// and `result_type` names the top-level value's kind, so `undefined` (reported as null) is
// told from null. Everything else is JSON.stringify's: toJSON methods, dates as ISO strings,
// undefined properties left out; a cycle is an error.
#pragma once

#include <v8-context.h>
#include <v8-function.h>
#include <v8-value.h>

#include <optional>
#include <string>

namespace krepis {

// "undefined", "null", "boolean", "number", "string", "bigint", "symbol", "function",
// "array", "map", "set", "typed_array", "array_buffer", "date", "regexp", "error", "promise"
// or "object".
std::string result_type(v8::Local<v8::Value> value);

// The value as JSON by the rules above, through `stringify` (the context's own
// JSON.stringify, taken before any script ran: the script cannot have replaced it). Empty
// when it threw (a cycle, a throwing toJSON) or execution was terminated; "null" text when
// there is nothing to serialise (undefined).
v8::MaybeLocal<v8::String> result_json(v8::Local<v8::Context> context,
                                       v8::Local<v8::Function> stringify,
                                       v8::Local<v8::Value> value);

// A string made of one-byte characters as JSON, exactly as JSON.stringify writes it (the
// short escapes for quote, backslash, backspace, tab, newline, form feed and return, \u00xx
// for the other control characters, the rest as UTF-8), in one pass in C++: through
// JSON.stringify and its replacer a string costs about 30 instructions a byte, most of a run
// whose result is a string of some size. `bytes` is the JSON's size; `text` is left out when
// that passes `limit` (the rest is then only counted, so the host never holds much more than
// the limit). Nothing for a two-byte string (which may hold lone surrogates: result_json
// escapes those) or one of more than `limit` characters.
struct StringJson {
  std::size_t bytes = 0;
  std::optional<std::string> text;
};
std::optional<StringJson> one_byte_string_json(v8::Isolate* isolate,
                                               v8::Local<v8::String> string, std::size_t limit);

// The size of a two-byte string's JSON as JSON.stringify writes it (a lone surrogate as
// \udxxx, the rest as UTF-8), counted in C++: JSON.stringify would build the whole text in
// the heap first, uninterruptibly, up to six bytes a character.
std::size_t two_byte_string_json_bytes(v8::Isolate* isolate, v8::Local<v8::String> string);

// The context's JSON.stringify; empty if it cannot be read (termination).
v8::MaybeLocal<v8::Function> intrinsic_stringify(v8::Local<v8::Context> context);

}  // namespace krepis

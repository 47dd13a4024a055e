// Bytes between ops and scripts: reading a BufferSource, and making a Uint8Array from the
// run's capped allocator (TextEncoder, crypto, fs reads).
#pragma once

#include <v8-local-handle.h>
#include <v8-typed-array.h>
#include <v8-value.h>

#include <cstddef>
#include <string_view>

namespace krepis {

class OpCall;

// The bytes of an ArrayBuffer, a SharedArrayBuffer or a view of one; false for anything else.
bool bytes_of(v8::Local<v8::Value> value, std::string_view& bytes);

// A Uint8Array of `size` bytes from the run's capped allocator; empty (a RangeError thrown)
// past the cap, where V8's own ArrayBuffer::New would abort the process.
v8::MaybeLocal<v8::Uint8Array> new_bytes(OpCall& call, std::size_t size);

}  // namespace krepis

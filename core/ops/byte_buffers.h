// Bytes between ops and scripts: reading a BufferSource, and making a Uint8Array from the
// run's capped allocator (TextEncoder, crypto, fs reads).
#pragma once

#include <v8-array-buffer.h>
#include <v8-local-handle.h>
#include <v8-typed-array.h>
#include <v8-value.h>

#include <cstddef>
#include <string_view>

namespace krepis {

class OpCall;

// A view's ArrayBuffer. V8 keeps the bytes of a small typed array (up to 64) on its heap
// until something asks for its buffer, and makes one then: if the capped allocator refused
// it, V8 would end the process. So the cap's room is checked first; empty, with a RangeError
// thrown, when there is none.
v8::MaybeLocal<v8::ArrayBuffer> buffer_of(OpCall& call, v8::Local<v8::ArrayBufferView> view);

enum class BytesOf { kBytes, kNotBytes, kFailed };
// The bytes of an ArrayBuffer, a SharedArrayBuffer or a view of one. kNotBytes for anything
// else; kFailed (a RangeError thrown) when a view's buffer could not be made.
BytesOf bytes_of(OpCall& call, v8::Local<v8::Value> value, std::string_view& bytes);

// A Uint8Array of `size` bytes from the run's capped allocator; empty (a RangeError thrown)
// past the cap, where V8's own ArrayBuffer::New would abort the process.
v8::MaybeLocal<v8::Uint8Array> new_bytes(OpCall& call, std::size_t size);

}  // namespace krepis

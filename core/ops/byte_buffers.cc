#include "core/ops/byte_buffers.h"

#include <v8-array-buffer.h>
#include <v8-exception.h>
#include <v8-primitive.h>

#include <memory>

#include "core/ops/op_call.h"

namespace krepis {
namespace {

// What V8 throws when the allocator refuses an ArrayBuffer: the same error for the same cause.
void refuse_allocation(OpCall& call) {
  call.isolate()->ThrowException(v8::Exception::RangeError(
      v8::String::NewFromUtf8Literal(call.isolate(), "Array buffer allocation failed")));
}

}  // namespace

v8::MaybeLocal<v8::ArrayBuffer> buffer_of(OpCall& call, v8::Local<v8::ArrayBufferView> view) {
  const CappedAllocator& allocator = *call.host().allocator;
  if (!view->HasBuffer() && allocator.in_use() + view->ByteLength() > allocator.cap()) {
    refuse_allocation(call);
    return {};
  }
  return view->Buffer();
}

BytesOf bytes_of(OpCall& call, v8::Local<v8::Value> value, std::string_view& bytes) {
  if (value->IsArrayBufferView()) {
    v8::Local<v8::ArrayBufferView> view = value.As<v8::ArrayBufferView>();
    v8::Local<v8::ArrayBuffer> buffer;
    if (!buffer_of(call, view).ToLocal(&buffer)) return BytesOf::kFailed;
    const char* data = static_cast<const char*>(buffer->Data());
    bytes = std::string_view(data == nullptr ? "" : data + view->ByteOffset(), view->ByteLength());
    return BytesOf::kBytes;
  }
  if (value->IsArrayBuffer() || value->IsSharedArrayBuffer()) {
    std::shared_ptr<v8::BackingStore> store =
        value->IsArrayBuffer() ? value.As<v8::ArrayBuffer>()->GetBackingStore()
                               : value.As<v8::SharedArrayBuffer>()->GetBackingStore();
    const char* data = static_cast<const char*>(store->Data());
    bytes = std::string_view(data == nullptr ? "" : data, store->ByteLength());
    return BytesOf::kBytes;
  }
  return BytesOf::kNotBytes;
}

v8::MaybeLocal<v8::Uint8Array> new_bytes(OpCall& call, std::size_t size) {
  CappedAllocator& allocator = *call.host().allocator;
  void* data = size == 0 ? nullptr : allocator.AllocateUninitialized(size);
  if (size > 0 && data == nullptr) {
    refuse_allocation(call);
    return {};
  }
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      data, size,
      [](void* bytes, std::size_t length, void* owner) {
        if (bytes != nullptr) static_cast<CappedAllocator*>(owner)->Free(bytes, length);
      },
      &allocator);
  return v8::Uint8Array::New(v8::ArrayBuffer::New(call.isolate(), std::move(store)), 0, size);
}

}  // namespace krepis

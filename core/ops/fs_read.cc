// Restricted op "fs.read": krepis.fs.readText, readBytes, list and stat, beneath the
// tenant's folder, within the tier's per-run read quota.
#include <fmt/format.h>
#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-context.h>
#include <v8-typed-array.h>

#include <cstring>
#include <memory>

#include "core/base/utf8.h"
#include "core/ops/families.h"
#include "core/ops/op_call.h"

namespace krepis {
namespace {

std::size_t read_allowance(OpCall& call) {
  const std::size_t quota = call.host().grants.read_quota_bytes;
  return quota > call.run().bytes_read ? quota - call.run().bytes_read : 0;
}

void read_text(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "krepis.fs.readText");
  std::string path;
  const TenantFolder* folder = call.path_and_folder(path);
  if (folder == nullptr) return;
  std::string text;
  FsResult<std::size_t> read = folder->read(
      path, read_allowance(call),
      [&](std::size_t size) -> char* {
        // A V8 string of n UTF-8 bytes takes at most 2n bytes of heap.
        if (!call.reserve_heap(2 * size)) return nullptr;
        text.resize(size);
        return text.data();
      },
      [&] { return call.should_stop(); });
  if (!read.ok()) return call.fs_error(read.error(), path);
  text.resize(*read);
  call.run().bytes_read += text.size();
  if (auto bad = first_invalid_utf8(text)) {
    return call.fs_error(
        FsError{"EILSEQ", fmt::format("'{}' is not UTF-8 text (byte {}); readBytes reads "
                                      "any file",
                                      path, *bad)},
        path);
  }
  v8::Local<v8::Value> value = call.string(text);
  if (!value.IsEmpty()) call.set_result(value);
}

void read_bytes(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "krepis.fs.readBytes");
  std::string path;
  const TenantFolder* folder = call.path_and_folder(path);
  if (folder == nullptr) return;
  CappedAllocator& allocator = *call.host().allocator;
  // The bytes go straight into memory of the isolate's capped allocator: a refusal stops
  // the run as any over-cap ArrayBuffer does.
  struct Block {
    CappedAllocator& allocator;
    void* data = nullptr;
    std::size_t size = 0;
    ~Block() {
      if (data != nullptr) allocator.Free(data, size);
    }
  } block{allocator};
  FsResult<std::size_t> read = folder->read(
      path, read_allowance(call),
      [&](std::size_t size) -> char* {
        if (size == 0) return nullptr;
        block.data = allocator.AllocateUninitialized(size);
        if (block.data != nullptr) block.size = size;
        return static_cast<char*>(block.data);
      },
      [&] { return call.should_stop(); });
  if (!read.ok()) return call.fs_error(read.error(), path);
  const std::size_t length = *read;
  call.run().bytes_read += length;
  // The file shrank while it was read: the memory past it was never written, and must not
  // show through the Uint8Array's buffer.
  if (block.data != nullptr && length < block.size) {
    std::memset(static_cast<char*>(block.data) + length, 0, block.size - length);
  }
  v8::Local<v8::ArrayBuffer> buffer;
  if (block.data == nullptr) {
    buffer = v8::ArrayBuffer::New(call.isolate(), 0);
  } else {
    std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
        block.data, block.size,
        [](void* data, std::size_t size, void* owner) {
          static_cast<CappedAllocator*>(owner)->Free(data, size);
        },
        &allocator);
    block.data = nullptr;  // the backing store owns it now
    buffer = v8::ArrayBuffer::New(call.isolate(), std::move(store));
  }
  call.set_result(v8::Uint8Array::New(buffer, 0, length));
}

void list(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "krepis.fs.list");
  std::string path;
  const TenantFolder* folder = call.path_and_folder(path, ".");
  if (folder == nullptr) return;
  FsResult<std::vector<FsEntry>> listing = folder->list(path);
  if (!listing.ok()) return call.fs_error(listing.error(), path);
  std::vector<v8::Local<v8::Value>> entries;
  for (const FsEntry& entry : *listing) {
    v8::Local<v8::Object> object;
    if (!call.object({{"name", call.string(entry.name)}, {"type", call.string(entry.type)}})
             .ToLocal(&object)) {
      return;
    }
    entries.push_back(object);
  }
  call.set_result(v8::Array::New(call.isolate(), entries.data(), entries.size()));
}

void stat(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "krepis.fs.stat");
  std::string path;
  const TenantFolder* folder = call.path_and_folder(path);
  if (folder == nullptr) return;
  FsResult<FsStat> found = folder->stat(path);
  if (!found.ok()) return call.fs_error(found.error(), path);
  v8::Local<v8::Object> object;
  if (call.object({{"type", call.string(found->type)},
                   {"size", call.number(static_cast<double>(found->size))},
                   {"mtimeMs", call.number(found->mtime_ms)}})
          .ToLocal(&object)) {
    call.set_result(object);
  }
}

}  // namespace

void install_fs_read(OpInstaller& installer) {
  v8::Local<v8::ObjectTemplate> fs = installer.space("fs");
  installer.method<&read_text>(fs, "readText", 1);
  installer.method<&read_bytes>(fs, "readBytes", 1);
  installer.method<&list>(fs, "list", 1);
  installer.method<&stat>(fs, "stat", 1);
}

}  // namespace krepis

// Restricted op "fs.write": krepis.fs.writeText, writeBytes, mkdir and remove, beneath the
// tenant's folder, within the tier's per-run write quota. Writes are atomic.
#include <fmt/format.h>
#include <v8-array-buffer.h>
#include <v8-typed-array.h>

#include "core/engine/v8_text.h"
#include "core/ops/byte_buffers.h"
#include "core/ops/families.h"
#include "core/ops/op_call.h"

namespace krepis {
namespace {

std::size_t write_allowance(OpCall& call) {
  const std::size_t quota = call.host().grants.write_quota_bytes;
  return quota > call.run().bytes_written ? quota - call.run().bytes_written : 0;
}

bool within_quota(OpCall& call, const std::string& path, std::size_t bytes) {
  if (bytes <= write_allowance(call)) return true;
  call.fs_error(FsError{"EDQUOT", fmt::format("writing {} bytes to '{}' would pass the tier's "
                                              "write quota: {} bytes are left for this run",
                                              bytes, path, write_allowance(call))},
                path);
  return false;
}

void write(OpCall& call, const TenantFolder& folder, const std::string& path,
           std::span<const char> bytes) {
  if (!within_quota(call, path, bytes.size())) return;
  FsResult<Done> done = folder.write(path, bytes, [&] { return call.should_stop(); });
  if (!done.ok()) return call.fs_error(done.error(), path);
  call.run().bytes_written += bytes.size();
}

void write_text(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "krepis.fs.writeText");
  std::string path;
  const TenantFolder* folder = call.path_and_folder(path);
  if (folder == nullptr) return;
  v8::Local<v8::Value> value = info[1];
  if (!value->IsString()) {
    return call.type_error(
        fmt::format("text must be a string, got {}", describe_type(call.isolate(), value)));
  }
  v8::Local<v8::String> text = value.As<v8::String>();
  // Measured before it is copied: a text past the quota costs the runner nothing.
  if (!within_quota(call, path, static_cast<std::size_t>(text->Utf8Length(call.isolate())))) {
    return;
  }
  write(call, *folder, path, to_utf8(call.isolate(), text));
}

void write_bytes(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "krepis.fs.writeBytes");
  std::string path;
  const TenantFolder* folder = call.path_and_folder(path);
  if (folder == nullptr) return;
  v8::Local<v8::Value> value = info[1];
  const char* data = nullptr;
  std::size_t length = 0;
  // The bytes are read in place: no script code runs while the op holds the pointer.
  if (value->IsArrayBufferView()) {
    auto view = value.As<v8::ArrayBufferView>();
    length = view->ByteLength();
    v8::Local<v8::ArrayBuffer> buffer;
    if (length > 0) {
      if (!buffer_of(call, view).ToLocal(&buffer)) return;
      data = static_cast<const char*>(buffer->Data()) + view->ByteOffset();
    }
  } else if (value->IsArrayBuffer()) {
    auto buffer = value.As<v8::ArrayBuffer>();
    length = buffer->ByteLength();
    if (length > 0) data = static_cast<const char*>(buffer->GetBackingStore()->Data());
  } else {
    return call.type_error(
        fmt::format("bytes must be a Uint8Array, another typed array or an "
                    "ArrayBuffer, got {}",
                    describe_type(call.isolate(), value)));
  }
  write(call, *folder, path, std::span<const char>(data, length));
}

// mkdir and remove: a path in, nothing out but an error.
template <FsResult<Done> (TenantFolder::*kChange)(std::string_view) const>
void change(const v8::FunctionCallbackInfo<v8::Value>& info, const char* op) {
  OpCall call(info, op);
  std::string path;
  const TenantFolder* folder = call.path_and_folder(path);
  if (folder == nullptr) return;
  FsResult<Done> done = (folder->*kChange)(path);
  if (!done.ok()) call.fs_error(done.error(), path);
}

void make_folder(const v8::FunctionCallbackInfo<v8::Value>& info) {
  change<&TenantFolder::mkdir>(info, "krepis.fs.mkdir");
}

void remove(const v8::FunctionCallbackInfo<v8::Value>& info) {
  change<&TenantFolder::remove>(info, "krepis.fs.remove");
}

}  // namespace

void install_fs_write(OpInstaller& installer) {
  v8::Local<v8::ObjectTemplate> fs = installer.space("fs");
  installer.method<&write_text>(fs, "writeText", 2);
  installer.method<&write_bytes>(fs, "writeBytes", 2);
  installer.method<&make_folder>(fs, "mkdir", 1);
  installer.method<&remove>(fs, "remove", 1);
}

}  // namespace krepis

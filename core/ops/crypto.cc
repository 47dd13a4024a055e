#include "core/ops/crypto.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <v8-array-buffer.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-primitive.h>
#include <v8-promise.h>
#include <v8-typed-array.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "core/engine/v8_text.h"
#include "core/ops/byte_buffers.h"
#include "core/ops/js_builtins.h"
#include "core/ops/lazy_global.h"
#include "core/ops/op_call.h"
#include "core/ops/op_host.h"

namespace krepis {
namespace {

// Digested between two checks of the deadline: about a millisecond of SHA-256.
constexpr std::size_t kDigestChunkBytes = 1 << 20;

bool integer_view(v8::Local<v8::Value> value) {
  return value->IsInt8Array() || value->IsUint8Array() || value->IsUint8ClampedArray() ||
         value->IsInt16Array() || value->IsUint16Array() || value->IsInt32Array() ||
         value->IsUint32Array() || value->IsBigInt64Array() || value->IsBigUint64Array();
}

void get_random_values(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "crypto.getRandomValues");
  if (!call.active()) return;
  if (!integer_view(info[0])) {
    if (info[0]->IsArrayBufferView()) {
      throw_dom_exception(call.context(), call.host(),
                          "crypto.getRandomValues: the array must be of integers",
                          "TypeMismatchError");
    } else {
      call.type_error(fmt::format("the argument must be an integer typed array, got {}",
                                  describe_type(call.isolate(), info[0])));
    }
    return;
  }
  v8::Local<v8::ArrayBufferView> view = info[0].As<v8::ArrayBufferView>();
  if (view->ByteLength() > kMaxRandomBytes) {
    throw_dom_exception(
        call.context(), call.host(),
        fmt::format("crypto.getRandomValues: {} bytes asked for, more than the {} allowed",
                    view->ByteLength(), kMaxRandomBytes),
        "QuotaExceededError");
    return;
  }
  v8::Local<v8::ArrayBuffer> buffer;
  if (!buffer_of(call, view).ToLocal(&buffer)) return;
  auto* data = static_cast<unsigned char*>(buffer->Data());
  if (view->ByteLength() > 0 &&
      RAND_bytes(data + view->ByteOffset(), static_cast<int>(view->ByteLength())) != 1) {
    call.type_error("the system's random source failed");  // never seen: a broken OpenSSL
    return;
  }
  call.set_result(view);
}

void random_uuid(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "crypto.randomUUID");
  if (!call.active()) return;
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    call.type_error("the system's random source failed");
    return;
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string text;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += fmt::format("{:02x}", bytes[i]);
  }
  call.set_result(call.string(text));
}

const EVP_MD* digest_named(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (name == "SHA-1") return EVP_sha1();
  if (name == "SHA-256") return EVP_sha256();
  if (name == "SHA-384") return EVP_sha384();
  if (name == "SHA-512") return EVP_sha512();
  return nullptr;
}

// The algorithm argument: a name, or an object with a `name` (read as WebIDL reads it).
std::optional<std::string> algorithm_name(OpCall& call, v8::Local<v8::Value> algorithm) {
  if (algorithm->IsObject()) {
    if (!algorithm.As<v8::Object>()
             ->Get(call.context(), v8::String::NewFromUtf8Literal(call.isolate(), "name"))
             .ToLocal(&algorithm)) {
      return std::nullopt;
    }
  }
  if (!algorithm->IsString()) {
    call.type_error(fmt::format("the algorithm must be a name or an object with a name, got {}",
                                describe_type(call.isolate(), algorithm)));
    return std::nullopt;
  }
  return to_utf8(call.isolate(), algorithm.As<v8::String>());
}

struct MdContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// crypto.subtle.digest: a promise, settled before it is returned (the work is done here, in
// chunks, under the run's deadline); errors reject it, as the standard says.
void digest(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "crypto.subtle.digest");
  if (!call.active()) return;
  v8::Local<v8::Context> context = call.context();
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return;
  call.set_result(resolver->GetPromise());
  auto reject_with_caught = [&](v8::TryCatch& caught) {
    if (!caught.HasCaught() || caught.HasTerminated()) return;
    v8::Local<v8::Value> error = caught.Exception();
    caught.Reset();
    // Only termination makes rejecting fail, and that ends the run.
    if (resolver->Reject(context, error).IsNothing()) return;
  };
  v8::TryCatch caught(call.isolate());
  std::optional<std::string> name = algorithm_name(call, info[0]);
  if (!name) return reject_with_caught(caught);
  const EVP_MD* md = digest_named(*name);
  if (md == nullptr) {
    throw_dom_exception(context, call.host(),
                        fmt::format("crypto.subtle.digest: unknown algorithm '{}' (SHA-1, SHA-256, "
                                    "SHA-384 and SHA-512 are known)",
                                    *name),
                        "NotSupportedError");
    return reject_with_caught(caught);
  }
  std::string_view data;
  switch (bytes_of(call, info[1], data)) {
    case BytesOf::kBytes:
      break;
    case BytesOf::kNotBytes:
      call.type_error(fmt::format("the data must be an ArrayBuffer or an ArrayBufferView, got {}",
                                  describe_type(call.isolate(), info[1])));
      return reject_with_caught(caught);
    case BytesOf::kFailed:
      return reject_with_caught(caught);
  }
  std::unique_ptr<EVP_MD_CTX, MdContextFree> digest_context(EVP_MD_CTX_new());
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  bool ok = digest_context != nullptr && EVP_DigestInit_ex(digest_context.get(), md, nullptr) == 1;
  for (std::size_t done = 0; ok && done < data.size(); done += kDigestChunkBytes) {
    if (call.should_stop()) return;  // the run's guard ends it
    ok = EVP_DigestUpdate(digest_context.get(), data.data() + done,
                          std::min(kDigestChunkBytes, data.size() - done)) == 1;
  }
  ok = ok && EVP_DigestFinal_ex(digest_context.get(), out.data(), &size) == 1;
  v8::Local<v8::Uint8Array> bytes;
  if (!ok) {
    call.type_error("OpenSSL failed to digest");  // never seen: a broken OpenSSL
    return reject_with_caught(caught);
  }
  if (!new_bytes(call, size).ToLocal(&bytes)) return reject_with_caught(caught);
  std::copy_n(out.data(), size, static_cast<unsigned char*>(bytes->Buffer()->Data()));
  if (resolver->Resolve(context, bytes->Buffer()).IsNothing()) return;  // terminated
}

// The `crypto` object, made when a run first reads it.
void make_crypto(v8::Local<v8::Name>, const v8::PropertyCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> crypto = v8::Object::New(isolate);
  v8::Local<v8::Object> subtle = v8::Object::New(isolate);
  const std::tuple<v8::Local<v8::Object>, const char*, v8::FunctionCallback, int> functions[] = {
      {crypto, "getRandomValues", &get_random_values, 1},
      {crypto, "randomUUID", &random_uuid, 0},
      {subtle, "digest", &digest, 2}};
  for (const auto& [object, name, callback, length] : functions) {
    v8::Local<v8::Function> function;
    v8::Local<v8::String> key;
    if (!v8::Function::New(context, callback, info.Data(), length, v8::ConstructorBehavior::kThrow)
             .ToLocal(&function) ||
        !to_v8(isolate, name).ToLocal(&key) || object->Set(context, key, function).IsNothing()) {
      return;
    }
    function->SetName(key);
  }
  if (crypto->Set(context, v8::String::NewFromUtf8Literal(isolate, "subtle"), subtle).IsNothing()) {
    return;
  }
  info.GetReturnValue().Set(crypto);
}

}  // namespace

bool install_crypto_global(v8::Local<v8::Context> context, v8::Local<v8::External> host) {
  return set_lazy_global(context, "crypto", &make_crypto, host);
}

}  // namespace krepis

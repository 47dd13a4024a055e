// The Web Crypto API's part a sandbox needs, in every run: crypto.getRandomValues,
// crypto.randomUUID and crypto.subtle.digest (SHA-1, SHA-256, SHA-384, SHA-512), through
// OpenSSL's libcrypto. They reach nothing outside the run; every tier has them, made on first
// use. A long digest works in chunks and stops between them when the run is stopped.
#pragma once

#include <v8-context.h>
#include <v8-external.h>

#include <cstddef>

namespace krepis {

// At most this many bytes per getRandomValues call, as the standard says.
inline constexpr std::size_t kMaxRandomBytes = 65536;

bool install_crypto_global(v8::Local<v8::Context> context, v8::Local<v8::External> host);

}  // namespace krepis

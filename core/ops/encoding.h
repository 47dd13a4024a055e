// The web platform's text encodings in every run: TextEncoder, TextDecoder (UTF-8, with
// `fatal`, `ignoreBOM`, `encodeInto` and streaming `decode(..., {stream: true})`), atob and
// btoa, to the WHATWG Encoding and HTML standards. They reach nothing outside the run, so
// every tier has them. Each global is made on first use: a run that never touches one pays
// for none of it (issue 15: no cost when unused).
#pragma once

#include <v8-context.h>
#include <v8-external.h>
#include <v8-persistent-handle.h>
#include <v8-template.h>

namespace krepis {

struct OpHost;

// The classes' templates, built on first use, once per isolate (OpHost::encoding).
struct EncodingTemplates {
  v8::Global<v8::FunctionTemplate> text_encoder;
  v8::Global<v8::FunctionTemplate> text_decoder;
};

// Puts the four globals on a fresh context's global object, as lazy data properties.
// `host`: the sandbox's OpHost, wrapped once per context for all the lazy globals' getters.
bool install_encoding_globals(v8::Local<v8::Context> context, v8::Local<v8::External> host);

}  // namespace krepis

// structuredClone and queueMicrotask in every run, as the HTML standard has them: a deep copy
// through V8's serializer (Maps, Sets, Dates, RegExps, typed arrays, errors, cycles kept;
// functions, symbols and host objects refused with a DataCloneError), and a callback run as
// a microtask of the run (a throw in it fails the run as an unhandled rejection would). They
// reach nothing outside the run; every tier has them, made on first use.
#pragma once

#include <v8-context.h>
#include <v8-external.h>

namespace krepis {

struct OpHost;

// Puts both globals on a fresh context's global object, as lazy data properties.
// `host`: the sandbox's OpHost, wrapped once per context for all the lazy globals' getters.
bool install_clone_globals(v8::Local<v8::Context> context, v8::Local<v8::External> host);

}  // namespace krepis

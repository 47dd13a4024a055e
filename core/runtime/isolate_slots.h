// What krepis keeps in an isolate's data slots (v8::Isolate::SetData), for the callbacks V8
// hands only the isolate: the promise-rejection hook, the end of a run, the fatal-OOM handler.
// The sandbox fills the first two when it makes the isolate; they live as long as it does.
#pragma once

#include <v8-isolate.h>

#include <cstdint>

namespace krepis {

class Sandbox;
struct OpHost;

enum class IsolateSlot : std::uint32_t {
  kOpHost = 0,   // the sandbox's OpHost: its grants and the run in progress
  kSandbox = 1,  // the Sandbox itself
  kModuleGraph = 2,  // the run's ModuleGraph while it serves import(); null otherwise
};

inline void set_slot(v8::Isolate* isolate, IsolateSlot slot, void* data) {
  isolate->SetData(static_cast<std::uint32_t>(slot), data);
}

inline OpHost* op_host_of(v8::Isolate* isolate) {
  return static_cast<OpHost*>(isolate->GetData(static_cast<std::uint32_t>(IsolateSlot::kOpHost)));
}

inline Sandbox* sandbox_of(v8::Isolate* isolate) {
  return static_cast<Sandbox*>(isolate->GetData(static_cast<std::uint32_t>(IsolateSlot::kSandbox)));
}

}  // namespace krepis

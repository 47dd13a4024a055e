// One V8 isolate and context for a fuzz target's whole process (V8 initialises once), built
// by krepis's own Engine as the runner builds it. Each input runs in a HandleScope of its own.
#pragma once

#include <v8-array-buffer.h>
#include <v8-context.h>
#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-persistent-handle.h>

#include <memory>

#include "core/engine/engine.h"

namespace krepis::fuzz {

class V8Fixture {
 public:
  V8Fixture() : allocator_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()) {
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator_.get();
    params.constraints.ConfigureDefaultsFromHeapSize(0, 256 * 1024 * 1024);
    isolate_ = v8::Isolate::New(params);
    v8::Isolate::Scope isolate_scope(isolate_);
    v8::HandleScope handles(isolate_);
    context_.Reset(isolate_, v8::Context::New(isolate_));
  }
  v8::Isolate* isolate() { return isolate_; }
  v8::Local<v8::Context> context() { return context_.Get(isolate_); }

  // The process's fixture, made on first use and kept until exit (libFuzzer never returns).
  static V8Fixture& get() {
    static Engine engine;
    static V8Fixture fixture;
    return fixture;
  }

 private:
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  v8::Global<v8::Context> context_;
};

// Enters the fixture's isolate and context for one input.
struct V8Input {
  V8Fixture& fixture = V8Fixture::get();
  v8::Isolate::Scope isolate_scope{fixture.isolate()};
  v8::HandleScope handles{fixture.isolate()};
  v8::Local<v8::Context> context = fixture.context();
  v8::Context::Scope context_scope{context};
};

}  // namespace krepis::fuzz

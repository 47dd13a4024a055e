#include "core/ops/structured_clone.h"

#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-promise.h>
#include <v8-value-serializer.h>

#include <cstdlib>

#include "core/engine/v8_text.h"
#include "core/ops/js_builtins.h"
#include "core/ops/lazy_global.h"
#include "core/ops/op_call.h"
#include "core/ops/op_host.h"

namespace krepis {
namespace {

// The serializer's buffer lives outside the heap: it may not grow past what the run's cap
// leaves (the serializer then fails with a DataCloneError, "out of memory").
class CloneDelegate final : public v8::ValueSerializer::Delegate {
 public:
  explicit CloneDelegate(OpCall& call) : call_(call) {}

  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    throw_dom_exception(call_.context(), call_.host(), to_utf8(call_.isolate(), message),
                        "DataCloneError");
  }
  void* ReallocateBufferMemory(void* old_buffer, std::size_t size,
                               std::size_t* actual_size) override {
    if (size > held_ && !within_cap(size - held_)) return nullptr;
    void* buffer = std::realloc(old_buffer, size);
    if (buffer != nullptr) held_ = size;
    *actual_size = buffer != nullptr ? size : 0;
    return buffer;
  }
  void FreeBufferMemory(void* buffer) override { std::free(buffer); }
  // Modules and shared memory are never passed between runs or processes.
  v8::Maybe<std::uint32_t> GetWasmModuleTransferId(v8::Isolate*,
                                                   v8::Local<v8::WasmModuleObject>) override {
    throw_dom_exception(call_.context(), call_.host(), "a WebAssembly.Module cannot be cloned",
                        "DataCloneError");
    return v8::Nothing<std::uint32_t>();
  }

 private:
  bool within_cap(std::size_t more) {
    v8::HeapStatistics heap;
    call_.isolate()->GetHeapStatistics(&heap);
    const CappedAllocator& allocator = *call_.host().allocator;
    return heap.used_heap_size() + allocator.in_use() + held_ + more <= allocator.cap();
  }

  OpCall& call_;
  std::size_t held_ = 0;
};

void structured_clone(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "structuredClone");
  if (!call.active()) return;
  if (info.Length() == 0) {
    call.type_error("1 argument required, but only 0 present");
    return;
  }
  v8::Isolate* isolate = call.isolate();
  CloneDelegate delegate(call);
  v8::ValueSerializer serializer(isolate, &delegate);
  serializer.WriteHeader();
  if (!serializer.WriteValue(call.context(), info[0]).FromMaybe(false)) return;
  // Owned here from now on, and freed as the delegate allocated it.
  std::pair<std::uint8_t*, std::size_t> bytes = serializer.Release();
  struct Freed {
    std::uint8_t* data;
    ~Freed() { std::free(data); }
  } freed{bytes.first};
  v8::ValueDeserializer deserializer(isolate, bytes.first, bytes.second);
  v8::Local<v8::Value> copy;
  if (!deserializer.ReadHeader(call.context()).FromMaybe(false) ||
      !deserializer.ReadValue(call.context()).ToLocal(&copy)) {
    return;
  }
  call.set_result(copy);
}

void queue_microtask(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "queueMicrotask");
  if (!call.active()) return;
  if (info.Length() == 0 || !info[0]->IsFunction()) {
    call.type_error("the callback must be a function");
    return;
  }
  // A microtask of the run's own queue, through a settled promise: a throw in the callback
  // rejects a promise nobody handles, which fails the run as any unhandled rejection does.
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(call.context()).ToLocal(&resolver) ||
      resolver->Resolve(call.context(), v8::Undefined(call.isolate())).IsNothing()) {
    return;
  }
  v8::Local<v8::Promise> queued;
  if (!resolver->GetPromise()->Then(call.context(), info[0].As<v8::Function>()).ToLocal(&queued)) {
    return;  // terminated
  }
}

}  // namespace

bool install_clone_globals(v8::Local<v8::Context> context, v8::Local<v8::External> data) {
  return set_lazy_global(context, "structuredClone", &function_on_first_use<&structured_clone, 1>,
                         data) &&
         set_lazy_global(context, "queueMicrotask", &function_on_first_use<&queue_microtask, 1>,
                         data);
}

}  // namespace krepis

// Shared ops: krepis.stats() and krepis.tenant, for every tenant.
#include <v8-context.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-statistics.h>

#include <algorithm>

#include "core/engine/v8_text.h"
#include "core/ops/families.h"
#include "core/ops/op_call.h"

namespace krepis {
namespace {

// {heapUsedBytes, heapCapBytes, externalBytes, elapsedMs, deadlineMs, remainingMs}
void stats(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "krepis.stats");
  if (!call.active()) return;
  v8::Isolate* isolate = call.isolate();
  v8::HeapStatistics heap;
  isolate->GetHeapStatistics(&heap);
  const OpRun& run = call.run();
  const double elapsed =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - run.started)
          .count();
  const double deadline = static_cast<double>(run.deadline.count());
  v8::Local<v8::Object> result;
  if (!call
           .object({
               {"heapUsedBytes", call.number(static_cast<double>(heap.used_heap_size()))},
               {"heapCapBytes", call.number(static_cast<double>(call.host().allocator->cap()))},
               {"externalBytes", call.number(static_cast<double>(std::max(
                                     heap.external_memory(), call.host().allocator->in_use())))},
               {"elapsedMs", call.number(elapsed)},
               {"deadlineMs", call.number(deadline)},
               {"remainingMs", call.number(std::max(0.0, deadline - elapsed))},
           })
           .ToLocal(&result)) {
    return;
  }
  call.set_result(result);
}

}  // namespace

void install_stats(OpInstaller& installer) {
  v8::Isolate* isolate = installer.isolate();
  installer.method<&stats>(installer.krepis(), "stats", 0);
  // krepis.tenant: who the script runs as. Read-only: a script cannot pretend otherwise.
  const auto fixed = static_cast<v8::PropertyAttribute>(v8::ReadOnly | v8::DontDelete);
  v8::Local<v8::ObjectTemplate> tenant = v8::ObjectTemplate::New(isolate);
  v8::Local<v8::String> id, tier;
  if (to_v8(isolate, installer.host().grants.tenant_id).ToLocal(&id) &&
      to_v8(isolate, installer.host().grants.tier).ToLocal(&tier)) {
    tenant->Set(isolate, "id", id, fixed);
    tenant->Set(isolate, "tier", tier, fixed);
  }
  installer.krepis()->Set(isolate, "tenant", tenant, fixed);
}

}  // namespace krepis

#include "core/runtime/unhandled_rejections.h"

#include <v8-isolate.h>

#include <algorithm>

#include "core/ops/op_host.h"
#include "core/runtime/isolate_slots.h"

namespace krepis {

void UnhandledRejections::install(v8::Isolate* isolate) {
  isolate->SetPromiseRejectCallback(&UnhandledRejections::on_event);
}

void UnhandledRejections::on_event(v8::PromiseRejectMessage message) {
  v8::Local<v8::Promise> promise = message.GetPromise();
  v8::Isolate* isolate = promise->GetIsolate();
  OpHost* host = op_host_of(isolate);
  if (host == nullptr || host->run == nullptr || host->run->rejections == nullptr) return;
  auto& entries = host->run->rejections->entries_;
  switch (message.GetEvent()) {
    case v8::kPromiseRejectWithNoHandler:
      if (entries.size() < kMaxTracked) {
        entries.push_back(Entry{v8::Global<v8::Promise>(isolate, promise),
                                v8::Global<v8::Value>(isolate, message.GetValue())});
      }
      break;
    case v8::kPromiseHandlerAddedAfterReject:
      std::erase_if(entries, [&](const Entry& e) { return e.promise == promise; });
      break;
    default:
      break;
  }
}

v8::Local<v8::Value> UnhandledRejections::first_reason(v8::Isolate* isolate) const {
  if (entries_.empty()) return {};
  return entries_.front().reason.Get(isolate);
}

}  // namespace krepis

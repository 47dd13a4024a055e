// Promises of a run that were rejected with no handler attached by the end of the run. Like
// node's default, such a rejection fails the run: a script that lost an error should not
// report success.
#pragma once

#include <v8-persistent-handle.h>
#include <v8-promise.h>

#include <cstddef>
#include <vector>

namespace krepis {

class UnhandledRejections {
 public:
  // Installed once per isolate; routes V8's events to the slot's current tracker (isolate data
  // slot 0 holds the OpHost).
  static void install(v8::Isolate* isolate);

  // The first rejection still unhandled, as its reason; empty if none.
  v8::Local<v8::Value> first_reason(v8::Isolate* isolate) const;
  void clear() { entries_.clear(); }

 private:
  static void on_event(v8::PromiseRejectMessage message);
  struct Entry {
    v8::Global<v8::Promise> promise;
    v8::Global<v8::Value> reason;
  };
  // Bounds what a script can make us hold by rejecting in a loop.
  static constexpr std::size_t kMaxTracked = 64;
  std::vector<Entry> entries_;
};

}  // namespace krepis

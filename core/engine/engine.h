// Process-wide V8: platform, flags, initialisation and tear-down. Exactly one Engine exists
// while V8 is in use; it is the only owner of process-global V8 state, and the place where
// V8-version specifics live.
#pragma once

#include <v8-platform.h>

#include <memory>

namespace krepis {

class Engine {
 public:
  // Initialises V8. A second Engine in the same process is a programming error: V8 cannot be
  // initialised twice, so the constructor aborts with a message.
  Engine();
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  v8::Platform& platform() { return *platform_; }

  // "10.2.154.26-node.xx": the V8 krepis runs on (needs no initialisation).
  static const char* v8_version();

  // Runs the platform's foreground tasks queued for this isolate (GC steps, the completion of
  // asynchronous WebAssembly compilation) without waiting. Returns true if any ran.
  bool run_pending_tasks(v8::Isolate* isolate);
  // Forgets the isolate's task queue; call just before disposing an isolate.
  void forget_isolate(v8::Isolate* isolate);

 private:
  std::unique_ptr<v8::Platform> platform_;
};

}  // namespace krepis

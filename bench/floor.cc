// The bare-V8 floor: what V8 itself costs for the work krepis does, with nothing of krepis.
// One isolate, a fresh context per run, compile, run; no limits, ops or reports.
//   krepis_floor warm N CODE    N runs on one warm isolate; per-run microseconds as JSON
//   krepis_floor cold N         N times: new isolate + context + `1`; microseconds as JSON
//   krepis_floor once           one process, one run of `1` (for process-per-script)
//   krepis_floor idle N         N isolates, each after one run and a full GC; RSS KiB each
// cold and idle keep one isolate alive throughout, as a runner does when a new tenant comes:
// V8 shares the read-only heap between the isolates alive, and deserialises it again
// whenever the last one is gone.
#include <libplatform/libplatform.h>
#include <v8-array-buffer.h>
#include <v8-context.h>
#include <v8-initialization.h>
#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-primitive.h>
#include <v8-script.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"

namespace {

using bench::Clock;
using bench::micros;
using bench::print_samples;
using bench::rss_kib;

void run_in_fresh_context(v8::Isolate* isolate, const std::string& code) {
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = v8::Context::New(isolate);
  v8::Context::Scope scope(context);
  v8::Local<v8::String> source =
      v8::String::NewFromUtf8(isolate, code.data(), v8::NewStringType::kNormal,
                              static_cast<int>(code.size()))
          .ToLocalChecked();
  v8::Local<v8::Script> script = v8::Script::Compile(context, source).ToLocalChecked();
  v8::Local<v8::Value> result = script->Run(context).ToLocalChecked();
  (void)result;
}

v8::Isolate* new_isolate(v8::ArrayBuffer::Allocator* allocator) {
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator;
  return v8::Isolate::New(params);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: krepis_floor warm N CODE | cold N | once\n");
    return 2;
  }
  const std::string mode = argv[1];
  std::unique_ptr<v8::Platform> platform = v8::platform::NewDefaultPlatform();
  v8::V8::InitializePlatform(platform.get());
  v8::V8::Initialize();
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(
      v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  std::vector<double> samples;
  if (mode == "warm" && argc == 4) {
    const int n = std::atoi(argv[2]);
    v8::Isolate* isolate = new_isolate(allocator.get());
    {
      v8::Isolate::Scope isolate_scope(isolate);
      for (int i = 0; i < n; ++i) {
        auto start = Clock::now();
        run_in_fresh_context(isolate, argv[3]);
        samples.push_back(micros(start));
      }
    }
    isolate->Dispose();
    print_samples(samples);
  } else if (mode == "cold" && argc == 3) {
    const int n = std::atoi(argv[2]);
    v8::Isolate* resident = new_isolate(allocator.get());
    for (int i = 0; i < n; ++i) {
      auto start = Clock::now();
      v8::Isolate* isolate = new_isolate(allocator.get());
      {
        v8::Isolate::Scope isolate_scope(isolate);
        run_in_fresh_context(isolate, "1");
      }
      samples.push_back(micros(start));
      isolate->Dispose();
    }
    resident->Dispose();
    print_samples(samples);
  } else if (mode == "idle" && argc == 3) {
    const int n = std::atoi(argv[2]);
    std::vector<v8::Isolate*> isolates{new_isolate(allocator.get())};
    const long before = rss_kib();
    for (int i = 0; i < n; ++i) {
      v8::Isolate* isolate = new_isolate(allocator.get());
      {
        v8::Isolate::Scope isolate_scope(isolate);
        run_in_fresh_context(isolate, "1");
        isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kCritical);
      }
      isolates.push_back(isolate);
    }
    std::printf("{\"rss_kib_each\": %.1f}\n", static_cast<double>(rss_kib() - before) / n);
    for (v8::Isolate* isolate : isolates) isolate->Dispose();
  } else if (mode == "once") {
    v8::Isolate* isolate = new_isolate(allocator.get());
    {
      v8::Isolate::Scope isolate_scope(isolate);
      run_in_fresh_context(isolate, "1");
    }
    isolate->Dispose();
  } else {
    std::fprintf(stderr, "usage: krepis_floor warm N CODE | cold N | once\n");
    return 2;
  }
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
  return 0;
}

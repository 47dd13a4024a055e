// krepis's core library in-process, for the rows a whole process cannot isolate:
//   krepis_core_bench warm N CODE   N runs of CODE on one warm sandbox; per-run microseconds
//   krepis_core_bench cold N        N times: new sandbox + first run of `1`
//   krepis_core_bench idle N        N tenants' sandboxes made warm, then held idle; RSS each
//   krepis_core_bench module N DIR ENTRY
//                                   N runs of the module DIR/ENTRY (importing from DIR) on
//                                   one warm sandbox
// cold and idle keep another tenant's sandbox alive, as the pool does when a new tenant comes
// (V8 shares its read-only heap between the isolates alive).
// Output: one JSON object on stdout.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "core/base/module_root.h"
#include "core/base/text_file.h"
#include "core/engine/engine.h"
#include "core/runtime/sandbox.h"
#include "core/runtime/watchdog.h"

namespace {

using bench::Clock;
using bench::micros;
using bench::print_samples;
using bench::rss_kib;

krepis::Job job(std::string code) {
  return krepis::Job{"bench", "bench.js", std::move(code), std::nullopt,
                     std::chrono::milliseconds(10'000)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: krepis_core_bench warm N CODE | cold N | idle N\n");
    return 2;
  }
  const std::string mode = argv[1];
  const int n = std::atoi(argv[2]);
  krepis::Engine engine;
  krepis::Watchdog watchdog;
  krepis::SandboxConfig config;
  std::vector<double> samples;
  if (mode == "warm" && argc == 4) {
    krepis::Sandbox sandbox(engine, watchdog, config);
    sandbox.run(job("0"));  // made warm first
    for (int i = 0; i < n; ++i) {
      auto start = Clock::now();
      krepis::RunReport report = sandbox.run(job(argv[3]));
      samples.push_back(micros(start));
      if (report.status != krepis::RunStatus::kOk) return 1;
    }
    print_samples(samples);
  } else if (mode == "cold") {
    krepis::Sandbox resident(engine, watchdog, config);
    for (int i = 0; i < n; ++i) {
      auto start = Clock::now();
      auto sandbox = std::make_unique<krepis::Sandbox>(engine, watchdog, config);
      sandbox->run(job("1"));
      samples.push_back(micros(start));
    }
    print_samples(samples);
  } else if (mode == "idle") {
    std::vector<std::unique_ptr<krepis::Sandbox>> sandboxes;
    krepis::Sandbox first(engine, watchdog, config);
    first.run(job("1"));
    const long before = rss_kib();
    for (int i = 0; i < n; ++i) {
      sandboxes.push_back(std::make_unique<krepis::Sandbox>(engine, watchdog, config));
      sandboxes.back()->run(job("1"));
      // As the pool leaves an isolate that has sat idle for settle_after.
      sandboxes.back()->settle();
    }
    const long after = rss_kib();
    std::printf("{\"rss_kib_each\": %.1f}\n", static_cast<double>(after - before) / n);
  } else if (mode == "module" && argc == 5) {
    krepis::Sandbox sandbox(engine, watchdog, config);
    krepis::Job module = job(krepis::read_text_file(std::string(argv[3]) + "/" + argv[4]).value());
    module.module = true;
    krepis::set_module_root(module, argv[3], "bench", argv[4]);
    sandbox.run(module);  // made warm first
    for (int i = 0; i < n; ++i) {
      auto start = Clock::now();
      krepis::RunReport report = sandbox.run(module);
      samples.push_back(micros(start));
      if (report.status != krepis::RunStatus::kOk) return 1;
    }
    print_samples(samples);
  } else {
    std::fprintf(stderr, "usage: krepis_core_bench warm N CODE | cold N | idle N | "
                         "module N DIR ENTRY\n");
    return 2;
  }
  return 0;
}

// A batch worker process's start-up, in-process as `krepis batch` makes one: N times, a new
// ProcessWorker (fork, the confinement of a batch worker: Landlock, seccomp, rlimits; V8's
// platform; the tenant's first isolate) runs `1` and is collected, then runs `1` again, warm.
//   krepis_worker_bench N
// Output: {"first_us": [...], "warm_us": [...]}: the first job (the start-up and a cold run)
// and the second (a warm run and the round trip), each from submit to collect.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "core/base/manifest.h"
#include "core/batch/job_server.h"
#include "core/batch/process_worker.h"
#include "core/batch/worker_lock.h"

namespace {

void print(const char* name, const std::vector<double>& samples, bool last) {
  std::printf("\"%s\": [", name);
  for (std::size_t i = 0; i < samples.size(); ++i) std::printf(i ? ",%.1f" : "%.1f", samples[i]);
  std::printf(last ? "]" : "], ");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: krepis_worker_bench N\n");
    return 2;
  }
  const int n = std::atoi(argv[1]);
  const krepis::Manifest manifest = krepis::builtin_manifest();
  const krepis::TenantSpec& tenant = *manifest.find(krepis::kDefaultTenantId);
  const krepis::Job job{tenant.id, "bench.js", "1", std::nullopt, std::chrono::seconds(10)};
  std::vector<double> first, warm;
  for (int i = 0; i < n; ++i) {
    krepis::ProcessWorker worker([&](int socket, int wake, const krepis::TenantSpec* locked_to) {
      return krepis::serve_jobs(socket, wake, manifest,
                                krepis::worker_policy(manifest, std::nullopt, locked_to));
    });
    for (auto* samples : {&first, &warm}) {
      auto start = bench::Clock::now();
      worker.submit(job, tenant);
      krepis::RunReport report = worker.collect();
      samples->push_back(bench::micros(start));
      if (report.status != krepis::RunStatus::kOk) {
        std::fprintf(stderr, "krepis_worker_bench: %s\n", report.error.value_or("?").c_str());
        return 1;
      }
    }
  }
  std::printf("{");
  print("first_us", first, false);
  print("warm_us", warm, true);
  std::printf("}\n");
  return 0;
}

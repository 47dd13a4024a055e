#include "core/job_server.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>

#include "core/engine.h"
#include "core/memory_watch.h"
#include "core/pool_sweeper.h"
#include "core/sandbox_pool.h"
#include "core/watchdog.h"
#include "core/worker_wire.h"

namespace krepis {
namespace {

// Exit statuses of a worker process; the parent reads them only to describe a death.
constexpr int kServed = 0;
constexpr int kBadFrame = 2;
constexpr int kLastWords = 3;

}  // namespace

struct JobHost::Parts {
  Parts(const Manifest& manifest, LastWords last_words, Lifetime lifetime)
      : pool(manifest.pool,
             sandbox_factory(engine, watchdog, manifest.pool, std::move(last_words), true)) {
    if (lifetime == Lifetime::kLong) sweeper.emplace(pool, manifest.pool.settle_after / 2);
  }
  Engine engine;
  Watchdog watchdog;
  SandboxPool pool;
  std::optional<PoolSweeper<SandboxPool>> sweeper;
  MemoryWatch memory_watch;
};

JobHost::JobHost(const Manifest& manifest, LastWords last_words, Lifetime lifetime)
    : manifest_(manifest),
      parts_(std::make_unique<Parts>(manifest, std::move(last_words), lifetime)) {}

JobHost::~JobHost() = default;

RunReport JobHost::run(const Job& job, const LiveOutput* live) {
  const TenantSpec* tenant = manifest_.find(job.tenant);
  if (tenant == nullptr) {
    return denied_report(job.tenant, job.script_name,
                         unknown_tenant_message(manifest_, job.tenant));
  }
  try {
    SandboxPool::Lease sandbox = parts_->pool.acquire(*tenant);
    MemoryWatch::Watching watching(parts_->memory_watch, *sandbox);
    return sandbox->run(job, live);
  } catch (const std::exception& error) {
    // No isolate could be made for it: the job is reported, and the host goes on.
    return crashed_report(job.tenant, job.script_name,
                          fmt::format("the runner could not run it: {}", error.what()));
  }
}

PoolFigures JobHost::figures() { return parts_->pool.figures(); }

int serve_jobs(int socket, const Manifest& manifest, const LiveOutput* live) {
  // Replies go out from the main thread, or as last words from whichever thread found the
  // run lost (the watchdog's, the memory watch's): one at a time, nothing after last words.
  std::mutex replying;
  // Last words come only from a run, so `host` is whole by the time they use it.
  JobHost host(manifest, [&](const RunReport& report) {
    std::lock_guard lock(replying);
    std::fflush(stdout);
    write_frame(socket, encode_reply({report, host.figures(), true}));
    std::_Exit(kLastWords);
  });
  while (std::optional<std::string> frame = read_frame(socket)) {
    std::optional<Job> job = decode_job(*frame);
    if (!job) return kBadFrame;
    RunReport report = host.run(*job, live);
    std::lock_guard lock(replying);
    std::fflush(stdout);  // live output goes before the report the parent prints
    if (!write_frame(socket, encode_reply({std::move(report), host.figures(), false}))) {
      return kServed;  // the parent is gone
    }
  }
  return kServed;
}

}  // namespace krepis

#include "core/batch/job_server.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <utility>

#include "core/batch/worker_wire.h"
#include "core/runtime/runtime.h"

namespace krepis {
namespace {

// Exit statuses of a worker process; the parent reads them only to describe a death.
constexpr int kServed = 0;
constexpr int kBadFrame = 2;
constexpr int kLastWords = 3;

}  // namespace

int serve_jobs(int socket, const Manifest& manifest, ConfinementPolicy policy,
               const LiveOutput* live) {
  // Replies go out from the main thread, or as last words from whichever thread found the
  // run lost (the watchdog's, the memory watch's): one at a time, nothing after last words.
  std::mutex replying;
  // Last words come only from a run, so `runtime` is whole by the time they use it.
  Runtime runtime(
      manifest,
      RuntimeOptions{.last_words =
                         [&](const RunReport& report) {
                           std::lock_guard lock(replying);
                           std::fflush(stdout);
                           write_frame(socket, encode_reply({report, runtime.figures(), true}));
                           std::_Exit(kLastWords);
                         },
                     .confine = std::move(policy)});
  while (std::optional<std::string> frame = read_frame(socket)) {
    std::optional<Job> job = decode_job(*frame);
    if (!job) return kBadFrame;
    RunReport report = runtime.run(*job, live);
    std::lock_guard lock(replying);
    std::fflush(stdout);  // live output goes before the report the parent prints
    if (!write_frame(socket, encode_reply({std::move(report), runtime.figures(), false}))) {
      return kServed;  // the parent is gone
    }
  }
  return kServed;
}

}  // namespace krepis

#include "core/batch/job_server.h"

#include <sys/socket.h>

#include <optional>
#include <utility>

#include "core/batch/reply_channel.h"
#include "core/batch/worker_wire.h"
#include "core/runtime/runtime.h"

namespace krepis {

int serve_jobs(int socket, int wake, const Manifest& manifest, ConfinementPolicy policy,
               const LiveOutput* live) {
  ReplyChannel replies(socket);
  // Last words come only from a run, so `runtime` is whole by the time they use it.
  Runtime runtime(manifest, RuntimeOptions{.last_words =
                                               [&](const RunReport& report) {
                                                 replies.last_words(encode_reply(
                                                     {report, runtime.figures(), true}));
                                               },
                                           .confine = std::move(policy)});
  FrameReader jobs(socket);
  while (std::optional<std::string> frame = jobs.next()) {
    bool wake_parent = false;
    std::optional<Job> job = decode_job(*frame, &wake_parent);
    if (!job) return kWorkerBadFrame;
    RunReport report = runtime.run(*job, live);
    if (!replies.send(encode_reply({std::move(report), runtime.figures(), false}))) {
      return kWorkerServed;  // the parent is gone
    }
    // Never waits: a full socket already holds calls enough to wake the parent.
    if (wake_parent) static_cast<void>(::send(wake, "!", 1, MSG_DONTWAIT | MSG_NOSIGNAL));
  }
  return kWorkerServed;
}

}  // namespace krepis

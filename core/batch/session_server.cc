#include "core/batch/session_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "core/batch/reply_channel.h"
#include "core/batch/worker_wire.h"
#include "core/runtime/runtime.h"

namespace krepis {
namespace {

// Interrupts that arrive on the control socket, as entry numbers. An interrupt for an entry
// that runs stops it; one for an entry not begun yet stops it as it begins; one for an entry
// that has ended is dropped (entry numbers only grow).
class InterruptListener {
 public:
  InterruptListener(Runtime::Session& session, int control)
      : session_(session), control_(control), thread_([this] { listen(); }) {}
  ~InterruptListener() {
    ::shutdown(control_, SHUT_RD);  // the listener's read returns: it ends
  }
  InterruptListener(const InterruptListener&) = delete;
  InterruptListener& operator=(const InterruptListener&) = delete;

  void begin(std::uint64_t entry) {
    std::lock_guard lock(mutex_);
    running_ = entry;
    if (interrupted_ >= entry) session_.interrupt();
  }
  void end() {
    std::lock_guard lock(mutex_);
    running_ = 0;
    session_.clear_interrupt();
  }

 private:
  // On the listener's thread.
  void listen() {
    std::uint64_t entry = 0;
    while (::read(control_, &entry, sizeof entry) == sizeof entry) {
      std::lock_guard lock(mutex_);
      interrupted_ = std::max(interrupted_, entry);
      if (running_ != 0 && running_ == entry) session_.interrupt();
    }
  }

  Runtime::Session& session_;
  int control_;
  std::mutex mutex_;
  std::uint64_t running_ = 0;      // the entry that runs; 0 between entries
  std::uint64_t interrupted_ = 0;  // the highest entry an interrupt named
  std::jthread thread_;            // last: it starts once the rest is ready
};

}  // namespace

int serve_session(int socket, int control, const Manifest& manifest, ConfinementPolicy policy,
                  const LiveOutput* live) {
  ReplyChannel replies(socket);
  // Last words come only from a run, so `runtime` is whole by the time they use it.
  Runtime runtime(manifest,
                  RuntimeOptions{.last_words =
                                     [&](const RunReport& report) {
                                       replies.last_words(encode_session_reply(
                                           {{report, runtime.figures(), true}, true, {}, {}}));
                                     },
                                 .confine = std::move(policy)});
  Runtime::Session session(runtime, true);
  InterruptListener interrupts(session, control);
  // The tenant as this session has it (`.limits` may have changed its cap and deadline).
  TenantSpec tenant;
  auto reply = [&](const SessionReply& answer) {
    return replies.send(encode_session_reply(answer));
  };
  while (std::optional<std::string> frame = read_frame(socket)) {
    std::optional<SessionRequest> request = decode_session_request(*frame);
    if (!request) return kWorkerBadFrame;
    switch (request->kind) {
      case SessionRequest::Kind::kRun: {
        const Job& job = request->job;
        SessionReply answer;
        if (const TenantSpec* spec = manifest.find(job.tenant)) {
          tenant = *spec;
          tenant.limits.heap_bytes = request->heap_bytes;
          tenant.limits.deadline = job.deadline;
          interrupts.begin(request->entry);
          Runtime::Session::Entry entry =
              session.run(tenant, job, request->live_output ? live : nullptr);
          interrupts.end();
          answer.run.report = std::move(entry.report);
          answer.isolate_lost = entry.isolate_lost;
        } else {
          answer.run.report = denied_report(job.tenant, job.script_name,
                                            unknown_tenant_message(manifest, job.tenant));
        }
        answer.run.figures = runtime.figures();
        if (!reply(answer)) return kWorkerServed;  // the parent is gone
        break;
      }
      case SessionRequest::Kind::kKeepContext:
        session.keep_context(request->keep_context);
        break;
      case SessionRequest::Kind::kResetContext:
        session.reset_context();
        break;
      case SessionRequest::Kind::kRelease:
        session.release();
        break;
      case SessionRequest::Kind::kComplete: {
        SessionReply answer;
        if (const TenantSpec* spec = manifest.find(request->job.tenant)) {
          TenantSpec as_session = *spec;
          as_session.limits.heap_bytes = request->heap_bytes;
          as_session.limits.deadline = request->job.deadline;
          answer.completions = session.completions(as_session, request->path, request->prefix);
        }
        answer.run.figures = runtime.figures();
        if (!reply(answer)) return kWorkerServed;
        break;
      }
      case SessionRequest::Kind::kFigures: {
        SessionReply answer;
        answer.run.figures = runtime.figures();
        answer.isolate = session.isolate_figures();
        if (!reply(answer)) return kWorkerServed;
        break;
      }
    }
  }
  return kWorkerServed;
}

}  // namespace krepis

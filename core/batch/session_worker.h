// The REPL's side of its worker processes (session_server.h): the entries of a session run
// in a child with the same runtime as a batch worker's (heap rules, memory watch, watchdog,
// confinement), so an entry that kills its engine ends only that child. The REPL then says
// so, and the next entry gets a new child and a new context. As in a batch
// (worker_lock.h), a tenant the lock rule names runs in a child locked to it: the session
// keeps one shared child and at most one locked child, so switching to such a tenant and
// back keeps the other tenants' isolates warm. Used from the REPL's thread, except
// interrupt(), which the signal watcher calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "core/base/job.h"
#include "core/base/manifest.h"
#include "core/base/pool_figures.h"
#include "core/base/run_report.h"
#include "core/batch/child_process.h"
#include "core/batch/worker_wire.h"
#include "core/runtime/runtime.h"

namespace krepis {

class SessionWorker {
 public:
  // What the child runs (serve_session), for the tenant it is locked to (null: shared).
  using ChildMain = std::function<int(int socket, int control, const TenantSpec* locked_to)>;
  using LockRule = std::function<bool(const TenantSpec&)>;

  SessionWorker(ChildMain child_main, bool keep_context, LockRule locks = {},
                std::chrono::milliseconds grace = std::chrono::seconds(10));
  SessionWorker(const SessionWorker&) = delete;
  SessionWorker& operator=(const SessionWorker&) = delete;

  struct Entry {
    RunReport report;
    // The isolate passed its heap cap or could not be stopped, and was replaced.
    bool isolate_lost = false;
    // The worker process ended (how, e.g. "was killed by signal 9"): the kept context, the
    // warm isolates and the figures of its pool went with it.
    std::optional<std::string> worker_lost;
  };
  // Runs the job as the tenant's next entry, with the session's heap cap and deadline for
  // it (`tenant`'s limits), printing console output as it comes when `live_output`.
  Entry run(const TenantSpec& tenant, const Job& job, bool live_output);

  // Stops the entry in progress, or the next one if none has begun; from any thread. Never
  // blocks: a child that does not read its control socket cannot hold the caller.
  void interrupt() noexcept;
  // Drops an interrupt that came after the entry it was meant for had ended.
  void clear_interrupt() noexcept;

  void keep_context(bool keep);
  void reset_context();
  // Gives the isolate back to the worker's pool, without the session's context.
  void release();

  // The REPL's Tab: names after `path` that start with `prefix` in the tenant's context
  // (core/runtime/completions.h); none when the worker cannot say.
  std::vector<std::string> completions(const TenantSpec& tenant,
                                       const std::vector<std::string>& path,
                                       const std::string& prefix);

  struct Figures {
    PoolFigures pool;  // every worker process's of this session, summed
    std::optional<IsolateFigures> isolate;
  };
  Figures figures();

 private:
  // One worker process and what the session knows of it.
  struct Child {
    ChildProcess process;
    std::optional<std::string> lock;  // the id of the tenant it is locked to
    PoolFigures live;                 // its pool, as of its last reply
  };
  enum Slot { kShared, kLocked };

  // The child for the tenant's lock: the one that runs, or a new one (a locked child of
  // another tenant ends). Null when none could start (`why` says why).
  Child* child_for(const TenantSpec& tenant, std::string& why);
  // Sends a request that has no answer; a dead child shows at its next entry.
  static void send(Child& child, const SessionRequest& request);
  // A request with an answer (.stats, Tab) to the child in `slot`, waited for up to `wait`.
  // A child that does not answer, or answers with last words, is ended, and the next entry
  // says so (`asked_for` names what it did not answer: ".stats", "Tab").
  std::optional<SessionReply> ask(Slot slot, const SessionRequest& request,
                                  std::chrono::milliseconds wait, const char* asked_for);
  // The child is gone or must go: what it counted stays counted.
  std::string end_child(Slot slot, ChildProcess::Ending ending);

  ChildMain child_main_;
  bool keep_context_;
  LockRule locks_;
  std::chrono::milliseconds grace_;
  // Replaced only on the REPL's thread, under mutex_ (interrupt() reads them).
  std::optional<Child> children_[2];
  Slot current_ = kShared;  // the child of the last entry, which holds the kept context
  PoolFigures gone_;        // summed over the children that ended
  // How a child had ended before its next entry (found idle and gone, or not answering
  // .stats): that entry says it, since its kept context went with it.
  std::optional<std::string> found_ended_[2];
  // Guards children_, running_ and the interrupt state against interrupt().
  std::mutex mutex_;
  std::uint64_t next_entry_ = 1;
  std::uint64_t running_ = 0;     // the entry in progress (0: none)
  Child* running_child_ = nullptr;
  bool interrupt_pending_ = false;  // for the next entry, asked before it began
};

}  // namespace krepis

// The REPL's side of its worker process (session_server.h): the entries of a session run in
// a child with the same runtime as a batch worker's (heap rules, memory watch, watchdog,
// confinement), so an entry that kills its engine ends only that child. The REPL then says
// so, and the next entry gets a new child and a new context. A tenant the lock rule names
// gets a child locked to it, as in a batch (worker_lock.h). Used from the REPL's thread,
// except interrupt(), which the signal watcher calls.
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

  // Stops the entry in progress, or the next one if none has begun; from any thread.
  void interrupt() noexcept;

  void keep_context(bool keep);
  void reset_context();
  // Gives the isolate back to the worker's pool, without the session's context.
  void release();

  struct Figures {
    PoolFigures pool;  // every worker process's of this session, summed
    std::optional<IsolateFigures> isolate;
  };
  Figures figures();

 private:
  // A child for the tenant's lock: the one that runs, or a new one (the old one, locked
  // otherwise, ends). Null when none could start (`why` says why).
  ChildProcess* child_for(const TenantSpec& tenant, std::string& why);
  // Sends a request that has no answer; a dead child shows at the next entry.
  void send(const SessionRequest& request);
  // The child is gone or must go: what it counted stays counted.
  std::string end_child(ChildProcess::Ending ending);

  ChildMain child_main_;
  bool keep_context_;
  LockRule locks_;
  std::chrono::milliseconds grace_;
  // Replaced only on the REPL's thread, under mutex_ (interrupt() reads it).
  std::optional<ChildProcess> child_;
  std::optional<std::string> child_lock_;  // the id of the tenant it is locked to
  PoolFigures gone_, live_;
  // How a child that figures() found dead had ended: the next entry says it (its kept
  // context went with it).
  std::optional<std::string> found_ended_;
  // Guards the child's control socket and the entry numbers against interrupt().
  std::mutex mutex_;
  std::uint64_t entry_ = 1;        // the entry that runs, or the next one
  std::uint64_t interrupted_ = 0;  // the last entry interrupt() named
};

}  // namespace krepis

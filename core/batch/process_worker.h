// Runs jobs in a child process, so that what kills a run's engine (a fatal OOM inside a
// builtin, a termination that never lands) kills only that child: the job is reported, and
// the jobs after it go to a new child. Jobs may be handed ahead: the child finds its next
// job waiting when it finishes one, instead of waiting for a round trip to the parent.
// The child is forked, not executed afresh: it shares the loaded libraries, and V8 starts
// in it, never in the parent. Each child keeps its own warm pool for as long as it lives.
// A tenant that the lock rule names gets children locked to it (worker_lock.h): a job of
// another lock waits until the jobs before it are collected, then the child is replaced.
// While jobs are handed three or more ahead (quick ones: BatchRunner), every third job sent
// (kJobsPerCall) asks the child for a wake-up call once its reply is out; while the oldest
// job's reply is not in and a later job asks for a call, this process sleeps until the call
// (then reads what came), the child's end, or kUnreadAtMost, so that it wakes about once
// per three quick jobs rather than once per reply. Replies are sent as they come, so none
// waits in the child, and none is lost when it dies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "core/base/result.h"
#include "core/batch/child_process.h"
#include "core/batch/worker.h"
#include "core/batch/worker_wire.h"

namespace krepis {

class ProcessWorker final : public Worker {
 public:
  // What the child runs on its end of the socket (serve_jobs, or a test's stand-in), for
  // the tenant it is locked to (null: a shared child): it answers each job on `socket`, then
  // writes a byte to `wake` when the job's frame asks for a wake-up call. Its return value is
  // the child's exit status. It must not return to the parent's code.
  using ChildMain = std::function<int(int socket, int wake, const TenantSpec* locked_to)>;
  // Whether a tenant's jobs run only in children locked to it; none when empty.
  using LockRule = std::function<bool(const TenantSpec&)>;

  // `grace`: how long past a job's deadline the child may take to answer before it is
  // killed. Its own watchdog gives up on a run ~40 ms past the deadline and says so.
  static constexpr std::chrono::milliseconds kDefaultGrace = std::chrono::seconds(10);
  static constexpr std::size_t kJobsPerCall = 3;
  // The longest a reply that came waits unread while this process sleeps until a later
  // job's wake-up call (a quick job before a slow one).
  static constexpr std::chrono::milliseconds kUnreadAtMost{10};
  // `unread_at_most`: kUnreadAtMost (tests may lengthen it).
  explicit ProcessWorker(ChildMain child_main, std::chrono::milliseconds grace = kDefaultGrace,
                         LockRule locks = {},
                         std::chrono::milliseconds unread_at_most = kUnreadAtMost);
  ~ProcessWorker() override;
  ProcessWorker(const ProcessWorker&) = delete;
  ProcessWorker& operator=(const ProcessWorker&) = delete;

  void submit(const Job& job, const TenantSpec& tenant) override;
  RunReport collect() override;
  // A job waits in the socket while the child runs the ones before it, so only one that
  // fits there is taken ahead: a bigger one could block the parent's write while the child
  // blocks writing a big reply. Nor one that needs a child locked otherwise.
  bool can_queue(const Job& job, const TenantSpec& tenant) const override;
  // Every child's pool figures: those gone, and the live one's as it last reported them.
  PoolFigures figures() const override;
  // The child's process id; -1 when none runs (before the first job, after a death).
  pid_t child() const { return child_ ? child_->pid() : -1; }

 private:
  struct Pending {
    Job job;
    const TenantSpec* tenant;
    bool sent = false;   // to the child alive now
    bool wakes = false;  // it asked that child for a wake-up call
  };
  Result<Done> start_child(const TenantSpec* lock);
  // The tenant a child that runs this tenant's jobs is locked to; null for a shared child.
  const TenantSpec* lock_for(const TenantSpec& tenant) const;
  // Starts a child if none runs, and sends it every pending job it has not had.
  Result<Done> deliver();
  // Reaps the child (ChildProcess::end) and keeps what it counted.
  std::string end_child(ChildProcess::Ending ending);
  // The oldest pending job, reported `crashed` for `what`.
  RunReport died(std::chrono::steady_clock::time_point started, const std::string& what);
  // Whether a job sent after the oldest asked for a wake-up call (and the oldest did not).
  bool call_ahead() const;
  // Sleeps through the replies before the next wake-up call; true once some of the oldest
  // job's reply is held, the child ended, or a call came with nothing before it (an earlier
  // job's, or a lie: the reply's own read then waits); false when `until` has passed.
  bool sleep_until_call(std::chrono::steady_clock::time_point until);

  ChildMain child_main_;
  std::chrono::milliseconds grace_;
  LockRule locks_;
  std::chrono::milliseconds unread_at_most_;
  std::optional<ChildProcess> child_;
  std::optional<FrameReader> replies_;  // the live child's
  const TenantSpec* child_lock_ = nullptr;  // the live child's
  std::deque<Pending> pending_;  // submitted, not yet collected; the child runs them in order
  std::size_t sent_ = 0;         // jobs sent to the live child
  PoolFigures gone_;             // summed over the children that ended
  PoolFigures live_;             // the live child's, as of its last reply
};

}  // namespace krepis

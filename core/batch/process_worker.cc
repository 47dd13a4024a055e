#include "core/batch/process_worker.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <stdio_ext.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/batch/worker_wire.h"
#include "core/runtime/syscall_filter.h"

namespace krepis {
namespace {

// The descriptor the child's socket gets; everything above it is closed in the child.
constexpr int kChildSocket = 3;
// How long a child that closed its socket may take to exit before SIGKILL.
constexpr int kExitGraceMs = 2000;

std::string describe_exit(int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == kForbiddenCallStatus) {
    return "was ended by its sandbox: it made a system call that is not on the allow-list "
           "(stderr says which)";
  }
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                       ::strsignal(WTERMSIG(status)));
  }
  return "ended";
}

// Waits up to `timeout` for the socket to have something to read (or be closed).
bool readable_within(int fd, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd watch{fd, POLLIN, 0};
    int n = ::poll(&watch, 1, static_cast<int>(std::max<long>(0, left.count())));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the read report the error
  }
}

}  // namespace

ProcessWorker::ProcessWorker(ChildMain child_main, std::chrono::milliseconds grace,
                             LockRule locks)
    : child_main_(std::move(child_main)), grace_(grace), locks_(std::move(locks)) {}

ProcessWorker::~ProcessWorker() {
  // Every reply is in; the child has nothing left to say, and tearing down its V8 and its
  // warm isolates would only keep the batch from ending.
  if (child_ > 0) end_child(Ending::kStop);
}

const TenantSpec* ProcessWorker::lock_for(const TenantSpec& tenant) const {
  return locks_ && locks_(tenant) ? &tenant : nullptr;
}

Result<Done> ProcessWorker::start_child(const TenantSpec* lock) {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    return Error{fmt::format("socketpair: {}", std::strerror(errno))};
  }
  UniqueFd parent_end(ends[0]);
  UniqueFd child_end(ends[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return Error{fmt::format("fork: {}", std::strerror(errno))};
  if (pid == 0) {
    // The child: it dies with the parent, and keeps only stdio and its own socket (not the
    // parent's ends of its siblings' sockets, which would hide their deaths).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) std::_Exit(1);
    // Another thread may have been printing a report at the fork: what sat in the parent's
    // stdout buffer is the parent's to write, not the child's.
    ::__fpurge(stdout);
    if (::dup2(child_end.get(), kChildSocket) != kChildSocket) std::_Exit(1);
    ::syscall(SYS_close_range, kChildSocket + 1, ~0U, 0);
    std::_Exit(child_main_(kChildSocket, lock));
  }
  child_end.reset();
  socket_ = std::move(parent_end);
  child_ = pid;
  child_lock_ = lock;
  return Done{};
}

std::string ProcessWorker::end_child(Ending ending) {
  // A child that is gone holds no instances any more; what it counted stays counted.
  live_.alive = live_.idle = live_.waiting = 0;
  gone_ += live_;
  live_ = PoolFigures{};
  socket_.reset();  // a healthy child reads the end of its input and exits
  if (ending == Ending::kExiting) {
    UniqueFd exited(static_cast<int>(::syscall(SYS_pidfd_open, child_, 0)));
    pollfd watch{exited.get(), POLLIN, 0};
    if (exited.valid()) ::poll(&watch, 1, kExitGraceMs);
  }
  int status = 0;
  pid_t done = ::waitpid(child_, &status, WNOHANG);
  if (done == 0) {
    ::kill(child_, SIGKILL);
    done = ::waitpid(child_, &status, 0);
  }
  child_ = -1;
  return done > 0 ? describe_exit(status) : "could not be reaped";
}

RunReport ProcessWorker::died(std::chrono::steady_clock::time_point started,
                              const std::string& what) {
  Pending lost = std::move(pending_.front());
  pending_.pop_front();
  RunReport report = crashed_report(lost.job.tenant, lost.job.script_name, what);
  report.heap_cap_bytes = lost.tenant->limits.heap_bytes;
  report.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return report;
}

Result<Done> ProcessWorker::deliver() {
  if (pending_.empty()) return Done{};
  const TenantSpec* lock = lock_for(*pending_.front().tenant);
  if (socket_.valid() && !pending_.front().sent && lock != child_lock_) {
    // Every job before the oldest was collected, and it needs a child locked otherwise:
    // the idle child ends, its warm isolates with it.
    end_child(Ending::kExiting);
  }
  if (!socket_.valid()) {
    Result<Done> started = start_child(lock);
    if (!started.ok()) return started;
    for (Pending& pending : pending_) pending.sent = false;
  }
  for (Pending& pending : pending_) {
    if (pending.sent) continue;
    // A job for another lock waits for a child of its own.
    if (lock_for(*pending.tenant) != child_lock_) break;
    // A child that died meanwhile shows when its reply is read; nothing to do here.
    if (!write_frame(socket_.get(), encode_job(pending.job))) break;
    pending.sent = true;
  }
  return Done{};
}

void ProcessWorker::submit(const Job& job, const TenantSpec& tenant) {
  pending_.push_back(Pending{job, &tenant});
  // A child that cannot start is reported by collect().
  if (socket_.valid()) static_cast<void>(deliver());
}

bool ProcessWorker::can_queue(const Job& job, const TenantSpec& tenant) const {
  constexpr std::size_t kQueuedBytes = 64 * 1024;
  if (!pending_.empty() && lock_for(*pending_.back().tenant) != lock_for(tenant)) return false;
  return job.source.size() + job.input_json.value_or("").size() < kQueuedBytes;
}

RunReport ProcessWorker::collect() {
  // The oldest job runs from now on at the latest (the reply before it has been read).
  const auto started = std::chrono::steady_clock::now();
  if (Result<Done> delivered = deliver(); !delivered.ok()) {
    return died(started, "could not start a worker process: " + delivered.error().message);
  }
  const Job& job = pending_.front().job;
  if (!readable_within(socket_.get(), job.deadline + grace_)) {
    return died(started,
                fmt::format("the worker process did not answer within {} ms of the deadline "
                            "and was stopped ({})",
                            grace_.count(), end_child(Ending::kStop)));
  }
  std::optional<std::string> frame = read_frame(socket_.get());
  std::optional<WorkerReply> reply = frame ? decode_reply(*frame) : std::nullopt;
  if (!reply) {
    const bool garbled = frame.has_value();
    const std::string how = end_child(garbled ? Ending::kStop : Ending::kExiting);
    return died(started, garbled
                             ? fmt::format("the worker process sent a reply that does not parse "
                                           "and was stopped ({})",
                                           how)
                             : fmt::format("the worker process {} during the run", how));
  }
  pending_.pop_front();
  live_ = reply->figures;
  // Last words: the child is ending. The jobs handed after this one never started; the next
  // collect() gives them to a new child.
  if (reply->last) end_child(Ending::kExiting);
  return std::move(reply->report);
}

PoolFigures ProcessWorker::figures() const {
  PoolFigures all = gone_;
  all += live_;
  return all;
}

}  // namespace krepis

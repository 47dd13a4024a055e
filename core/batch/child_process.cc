#include "core/batch/child_process.h"

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
#include <utility>

#include "core/runtime/confinement.h"
#include "core/runtime/syscall_filter.h"

namespace krepis {
namespace {

// The descriptors the child's sockets get; everything above them is closed in the child.
constexpr int kChildSocket = 3;
constexpr int kChildControl = 4;
// How long a child that is exiting may take before SIGKILL.
constexpr int kExitGraceMs = 2000;

std::string describe_exit(int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == kForbiddenCallStatus) {
    return "was ended by its sandbox: it made a system call that is not on the allow-list "
           "(stderr says which)";
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kConfinementFailedStatus) {
    return "could not confine itself and ran nothing (stderr says why)";
  }
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                       ::strsignal(WTERMSIG(status)));
  }
  return "ended";
}

}  // namespace

Result<ChildProcess> ChildProcess::start(const Main& main) {
  int ends[2];
  int control_ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
    return system_call_error("socketpair");
  UniqueFd parent_end(ends[0]);
  UniqueFd child_end(ends[1]);
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control_ends) != 0) {
    return system_call_error("socketpair");
  }
  UniqueFd parent_control(control_ends[0]);
  UniqueFd child_control(control_ends[1]);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return system_call_error("fork");
  if (pid == 0) {
    // The child: it dies with the parent, and keeps only stdio and its own sockets (not the
    // parent's ends of its siblings' sockets, which would hide their deaths).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) std::_Exit(1);
    // Another thread may have been printing a report at the fork: what sat in the parent's
    // stdout buffer is the parent's to write, not the child's.
    ::__fpurge(stdout);
    if (::dup2(child_end.get(), kChildSocket) != kChildSocket) std::_Exit(1);
    if (::dup2(child_control.get(), kChildControl) != kChildControl) std::_Exit(1);
    ::syscall(SYS_close_range, kChildControl + 1, ~0U, 0);
    std::_Exit(main(kChildSocket, kChildControl));
  }
  return ChildProcess(pid, std::move(parent_end), std::move(parent_control));
}

ChildProcess::ChildProcess(pid_t pid, UniqueFd socket, UniqueFd control)
    : pid_(pid), socket_(std::move(socket)), control_(std::move(control)) {}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      socket_(std::move(other.socket_)),
      control_(std::move(other.control_)),
      call_wait_(other.call_wait_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) end(Ending::kStop);
    pid_ = std::exchange(other.pid_, -1);
    socket_ = std::move(other.socket_);
    control_ = std::move(other.control_);
    call_wait_ = other.call_wait_;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) end(Ending::kStop);
}

bool ChildProcess::readable_within(std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd watch{socket_.get(), POLLIN, 0};
    int n = ::poll(&watch, 1, static_cast<int>(std::max<long>(0, left.count())));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the read report the error
  }
}

ChildProcess::Call ChildProcess::await_call(std::chrono::milliseconds limit) {
  if (!call_wait_.set(control_.get(), limit)) return Call::kEnded;  // the read tells
  char calls[256];
  const ssize_t n = ::read(control_.get(), calls, sizeof calls);
  if (n > 0) return Call::kCame;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return Call::kNone;
  return Call::kEnded;
}

RunReport crashed_in_child(const Job& job, const TenantSpec& tenant,
                           std::chrono::steady_clock::time_point started, const std::string& what) {
  RunReport report = crashed_report(job.tenant, job.script_name, what);
  report.heap_cap_bytes = tenant.limits.heap_bytes;
  report.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return report;
}

std::string ChildProcess::end(Ending ending) {
  socket_.reset();  // a healthy child reads the end of its input and exits
  control_.reset();
  if (ending == Ending::kExiting) {
    UniqueFd exited(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
    pollfd watch{exited.get(), POLLIN, 0};
    if (exited.valid()) ::poll(&watch, 1, kExitGraceMs);
  }
  int status = 0;
  pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == 0) {
    ::kill(pid_, SIGKILL);
    done = ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
  return done > 0 ? describe_exit(status) : "could not be reaped";
}

}  // namespace krepis

// A forked child process that runs tenant code for this one, and the parent's hold on it:
// a socket for requests and replies, a second one for control messages that must reach
// the child while it is busy (the REPL's interrupts) or wake the parent (a batch worker's
// wake-up calls), and the child's end. The child dies with its parent, keeps only stdio
// and its two sockets, and is always reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include "core/base/job.h"
#include "core/base/manifest.h"
#include "core/base/result.h"
#include "core/base/run_report.h"
#include "core/base/unique_fd.h"
#include "core/batch/receive_timeout.h"

namespace krepis {

class ChildProcess {
 public:
  // What the child runs on its ends of the sockets; its return value is its exit status.
  // It must not return to the parent's code (the child _Exits with it).
  using Main = std::function<int(int socket, int control)>;

  // Forks. Call it from any thread of the parent; V8 never runs in the parent.
  static Result<ChildProcess> start(const Main& main);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Stops a child still running (SIGKILL): it has nothing left to say.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  int socket() const { return socket_.get(); }
  int control() const { return control_.get(); }
  // Whether the socket has something to read (or was closed) within `timeout`.
  bool readable_within(std::chrono::milliseconds timeout) const;
  // Waits until the child makes a wake-up call (a byte on its control socket: serve_jobs),
  // ends, or `limit` passes, and takes every call that came. Its replies meanwhile wake
  // nobody: this waits on the other socket.
  enum class Call { kCame, kEnded, kNone };
  Call await_call(std::chrono::milliseconds limit);

  // Closes the sockets and reaps the child; says how it ended ("exited with status 3").
  // kExiting: the child is ending or will once its input ends, so it gets a moment to
  // exit and its own cause of death is the one told. kStop: SIGKILL at once.
  enum class Ending { kExiting, kStop };
  std::string end(Ending ending);

 private:
  ChildProcess(pid_t pid, UniqueFd socket, UniqueFd control);
  pid_t pid_ = -1;
  UniqueFd socket_;
  UniqueFd control_;
  ReceiveTimeout call_wait_;  // the control socket's
};

// The report of a job whose child ended under it or could not start: `crashed` with `what`,
// the tenant's heap cap, and the wall time since `started`.
RunReport crashed_in_child(const Job& job, const TenantSpec& tenant,
                           std::chrono::steady_clock::time_point started, const std::string& what);

}  // namespace krepis

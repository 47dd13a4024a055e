// What a parent process and its worker processes say to each other over a socket:
// length-prefixed frames, each one MessagePack map. In a batch, a job goes down; its report
// comes back with the worker's pool figures so far. In a REPL, session requests go down (an
// entry to run, a change to the kept context, a question for figures), and the entries'
// reports and the figures come back. Binary frames: a job's source and input travel as they
// are, without the escaping JSON would need.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/job.h"
#include "core/base/pool_figures.h"
#include "core/base/run_report.h"
#include "core/batch/receive_timeout.h"
#include "core/runtime/runtime.h"

namespace krepis {

// A worker's answer to one job.
struct WorkerReply {
  RunReport report;
  PoolFigures figures;  // the worker's pool, cumulative
  // The worker cannot go on (its last words after a fatal error): it exits after this.
  bool last = false;
};

// Frames past this are refused: a job is at most a 64 MiB script and a 64 MiB input, a
// report at most a 16 MiB result and 16 MiB of output (the tier's max_output_kb), each of
// which JSON's escapes may grow.
inline constexpr std::size_t kMaxFrameBytes = 192 * 1024 * 1024;

// Writes one frame, all of it; false if the peer is gone (EPIPE) or on any other error.
bool write_frame(int fd, std::string_view payload);
// Reads one frame; nothing at end of stream, on an error or on a frame over the limit.
std::optional<std::string> read_frame(int fd);

// Reads the frames of one stream as read_frame does, but a small frame and its header in one
// read where read_frame takes two (a batch job's frames cross twice, and each read is a
// system call on both sides). What a read brings of the next frame is held for it.
class FrameReader {
 public:
  explicit FrameReader(int fd) : fd_(fd) {}

  // The next frame; nothing at end of stream, on an error, on a frame over the limit, or
  // (timed_out()) when it was not whole by the time set by wait_until.
  std::optional<std::string> next();
  // A whole frame is held: next() returns it without reading.
  bool holds_frame() const;
  // Some bytes are held: the next frame has begun.
  bool holds_bytes() const { return !held_.empty(); }
  // Takes what the stream has now without waiting for more (one read); false at its end or
  // on an error, which next() then reports.
  bool take_ready();

  // From now on, next() waits until `until` at most for a whole frame: a parent waits for a
  // reply in the read itself, where a poll and then a read took two system calls. Each read
  // waits what is left (the socket's SO_RCVTIMEO, set only when that changes, in whole
  // milliseconds). False if the stream is not a socket, or the time has passed.
  bool wait_until(std::chrono::steady_clock::time_point until);
  // The last next() found no whole frame because the time ran out.
  bool timed_out() const { return timed_out_; }

 private:
  // Sets the socket's wait to what is left until until_; false once nothing is.
  bool wait_left();

  int fd_;
  std::string held_;  // bytes read past the last frame returned
  std::chrono::steady_clock::time_point until_ = std::chrono::steady_clock::time_point::max();
  ReceiveTimeout wait_;
  bool timed_out_ = false;
};

// A batch job's frame: the job, and whether the child makes a wake-up call once its reply is
// out (ProcessWorker: the parent sleeps through the replies before one, and reads them with
// it).
std::string encode_job(const Job& job, bool wake_parent = false);
std::optional<Job> decode_job(std::string_view bytes, bool* wake_parent = nullptr);
std::string encode_reply(const WorkerReply& reply);
std::optional<WorkerReply> decode_reply(std::string_view bytes);

// What the REPL asks of its worker process (Runtime::Session's calls).
struct SessionRequest {
  enum class Kind { kRun, kKeepContext, kResetContext, kRelease, kFigures, kComplete };
  Kind kind = Kind::kRun;
  // kRun: the entry's number (interrupts name it), the job, the session's heap cap for the
  // tenant (`.limits` may change it), and whether console output is printed as it comes.
  std::uint64_t entry = 0;
  Job job;
  std::size_t heap_bytes = 0;
  bool live_output = false;
  bool keep_context = false;  // kKeepContext
  // kComplete: the names to offer after `path` (global.a.b for {"a", "b"}) that start with
  // `prefix`, as `tenant` (the tenant of `job`) sees them.
  std::vector<std::string> path;
  std::string prefix;
};

// The answer to kRun (report, isolate_lost, last), kFigures (figures, isolate) or
// kComplete (completions).
struct SessionReply {
  WorkerReply run;
  bool isolate_lost = false;
  std::optional<IsolateFigures> isolate;
  std::vector<std::string> completions;
};

std::string encode_session_request(const SessionRequest& request);
std::optional<SessionRequest> decode_session_request(std::string_view bytes);
std::string encode_session_reply(const SessionReply& reply);
std::optional<SessionReply> decode_session_reply(std::string_view bytes);

}  // namespace krepis

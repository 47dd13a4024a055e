// What a batch's parent process and its worker processes say to each other over a socket:
// length-prefixed frames, each one MessagePack map. A job goes down; its report comes back
// with the worker's pool figures so far. Binary frames: a job's source and input travel as
// they are, without the escaping JSON would need.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/base/job.h"
#include "core/base/pool_figures.h"
#include "core/base/run_report.h"

namespace krepis {

// A worker's answer to one job.
struct WorkerReply {
  RunReport report;
  PoolFigures figures;  // the worker's pool, cumulative
  // The worker cannot go on (its last words after a fatal error): it exits after this.
  bool last = false;
};

// Frames past this are refused: a job is at most a 64 MiB script and a 64 MiB input, a
// report at most a 16 MiB result and 1 MiB of output.
inline constexpr std::size_t kMaxFrameBytes = 192 * 1024 * 1024;

// Writes one frame, all of it; false if the peer is gone (EPIPE) or on any other error.
bool write_frame(int fd, std::string_view payload);
// Reads one frame; nothing at end of stream, on an error or on a frame over the limit.
std::optional<std::string> read_frame(int fd);

std::string encode_job(const Job& job);
std::optional<Job> decode_job(std::string_view bytes);
std::string encode_reply(const WorkerReply& reply);
std::optional<WorkerReply> decode_reply(std::string_view bytes);

}  // namespace krepis

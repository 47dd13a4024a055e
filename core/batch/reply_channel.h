// A worker process's way back to its parent: replies go out one frame at a time, each after
// the live output printed before it, from the main thread or, as last words, from whichever
// thread found a run lost (the watchdog's, the memory watch's). Nothing goes out after last
// words. Shared by the batch's worker (job_server) and the REPL's (session_server).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string_view>

#include "core/batch/worker_wire.h"

namespace krepis {

// Exit statuses of a worker process; the parent reads them only to describe a death.
inline constexpr int kWorkerServed = 0;
inline constexpr int kWorkerBadFrame = 2;
inline constexpr int kWorkerLastWords = 3;

class ReplyChannel {
 public:
  explicit ReplyChannel(int socket) : socket_(socket) {}
  ReplyChannel(const ReplyChannel&) = delete;
  ReplyChannel& operator=(const ReplyChannel&) = delete;

  // False when the parent is gone. From the main thread.
  bool send(std::string_view frame) {
    std::lock_guard lock(replying_);
    std::fflush(stdout);  // live output goes before the report the parent prints
    return write_frame(socket_, frame);
  }

  // Sends the frame and ends the process; from any thread. The lock is never released: a
  // reply that would follow waits for the end.
  [[noreturn]] void last_words(std::string_view frame) {
    replying_.lock();
    std::fflush(stdout);
    write_frame(socket_, frame);
    std::_Exit(kWorkerLastWords);
  }

 private:
  int socket_;
  std::mutex replying_;
};

}  // namespace krepis

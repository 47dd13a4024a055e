// A socket's receive timeout (SO_RCVTIMEO) as last set through this: each setting is a
// system call, so it is set only when it changes. A batch's parent waits for its workers'
// replies and wake-up calls in reads bounded this way.
#pragma once

#include <chrono>

namespace krepis {

class ReceiveTimeout {
 public:
  // Makes each read of the socket `fd` wait at most `limit` (at least 1 ms); false if it is
  // not a socket.
  bool set(int fd, std::chrono::milliseconds limit);

 private:
  std::chrono::milliseconds limit_{0};  // 0: none set
};

}  // namespace krepis

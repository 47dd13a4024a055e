#include "core/batch/receive_timeout.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>

namespace krepis {

bool ReceiveTimeout::set(int fd, std::chrono::milliseconds limit) {
  limit = std::max(limit, std::chrono::milliseconds(1));  // 0 would mean no limit
  if (limit == limit_) return true;
  const timeval timeout{static_cast<time_t>(limit.count() / 1000),
                        static_cast<suseconds_t>(limit.count() % 1000 * 1000)};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) return false;
  limit_ = limit;
  return true;
}

}  // namespace krepis

#include "cli/file_descriptors.h"

#include <unistd.h>

#include <cerrno>

namespace krepis::cli {

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool same_file_as(const struct stat& file, int fd) {
  struct stat other {};
  return ::fstat(fd, &other) == 0 && same_file(file, other);
}

const std::string* same_file_among(const struct stat& file,
                                   const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    struct stat other {};
    if (::stat(path.c_str(), &other) == 0 && same_file(file, other)) return &path;
  }
  return nullptr;
}

}  // namespace krepis::cli

// Small things the command line does with file descriptors, in one place: writing all of a
// text, and telling whether two open files are one.
#pragma once

#include <sys/stat.h>

#include <string_view>

namespace krepis::cli {

// Writes all of `text` (retrying short writes and EINTR); false on any error.
bool write_all(int fd, std::string_view text);

// Whether the two are the same file (device and inode).
inline bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace krepis::cli

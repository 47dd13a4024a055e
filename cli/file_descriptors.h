// Small things the command line does with file descriptors, in one place: writing all of a
// text, and telling whether two open files are one.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

namespace krepis::cli {

// Writes all of `text` (retrying short writes and EINTR); false on any error.
bool write_all(int fd, std::string_view text);

// Whether the two are the same file (device and inode).
inline bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Whether `file` is the one open as `fd` (STDOUT_FILENO: would writing to it be stdout's).
bool same_file_as(const struct stat& file, int fd);

// The first of `paths` that names `file` (a file krepis reads, about to be written over);
// null when none does, or none can be read.
const std::string* same_file_among(const struct stat& file, const std::vector<std::string>& paths);

}  // namespace krepis::cli

#include "core/base/text_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/base/json_syntax.h"
#include "core/base/unique_fd.h"
#include "core/base/utf8.h"

namespace krepis {
namespace {

Error failure(const std::string& path, std::string_view what) {
  return Error{fmt::format("{}: {}", path, what)};
}

// Why a file could not be opened or read, plainly.
std::string plain_cause(int error) {
  switch (error) {
    case ENOENT:
      return "not found";
    case EACCES:
    case EPERM:
      return "permission denied";
    case ENOTDIR:
      return "not found (a part of the path is not a folder)";
    case ELOOP:
      return "a loop of symbolic links";
    case ENAMETOOLONG:
      return "the name is too long";
    default:
      return std::strerror(error);
  }
}

// The rest of a pipe (or of stdin, whatever it is), up to one byte past max_bytes.
Result<std::string> read_stream(int fd, const std::string& name, std::size_t max_bytes) {
  std::string text;
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failure(name, std::strerror(errno));
    if (n == 0) return text;
    if (text.size() + static_cast<std::size_t>(n) > max_bytes) {
      return failure(name, fmt::format("is more than the limit of {} bytes", max_bytes));
    }
    text.append(chunk, static_cast<std::size_t>(n));
  }
}

Result<std::string> checked_text(std::string text, const std::string& name) {
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  if (auto bad = first_invalid_utf8(text)) {
    TextPosition at = position_of(text, *bad);
    return failure(name, fmt::format("is not valid UTF-8 (byte {} at line {}, column {})", *bad,
                                     at.line, at.column));
  }
  return text;
}

// O_NONBLOCK: opening a FIFO whose writer has not come must not hang the runner.
int open_flags(Links links) {
  return O_RDONLY | O_CLOEXEC | O_NONBLOCK | (links == Links::kRefused ? O_NOFOLLOW : 0);
}

// The rest of read_text_file, once the open gave `fd`, or failed with `open_error`.
Result<std::string> read_opened(UniqueFd fd, int open_error, const std::string& path,
                                std::size_t max_bytes, Pipes pipes, Links links) {
  if (!fd.valid() && open_error == ELOOP && links == Links::kRefused) {
    return failure(path, "is a symlink; jobs and inputs must be regular files");
  }
  if (!fd.valid()) return failure(path, plain_cause(open_error));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return failure(path, std::strerror(errno));
  if (S_ISDIR(info.st_mode)) return failure(path, "is a directory, not a file");
  if (pipes == Pipes::kRead && (S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode))) {
    // A pipe (/dev/stdin, a shell's <(...)): read to its end, as cat would.
    if (::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK) != 0) {
      return failure(path, std::strerror(errno));
    }
    Result<std::string> text = read_stream(fd.get(), path, max_bytes);
    if (!text.ok()) return text;
    return checked_text(std::move(text).value(), path);
  }
  if (!S_ISREG(info.st_mode)) return failure(path, "is not a regular file");
  if (static_cast<std::size_t>(info.st_size) > max_bytes) {
    return failure(path,
                   fmt::format("is {} bytes, over the limit of {} bytes", info.st_size, max_bytes));
  }
  std::string text(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failure(path, std::strerror(errno));
    if (n == 0) break;  // the file shrank while we read it
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return checked_text(std::move(text), path);
}

}  // namespace

Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes, Pipes pipes,
                                   Links links) {
  if (pipes == Pipes::kRead && path == kStdinPath) {
    struct stat info {};
    if (::fstat(STDIN_FILENO, &info) != 0) return failure("stdin", std::strerror(errno));
    if (S_ISDIR(info.st_mode)) return failure("stdin", "is a directory, not a file");
    Result<std::string> text = read_stream(STDIN_FILENO, "stdin", max_bytes);
    if (!text.ok()) return text;
    return checked_text(std::move(text).value(), "stdin");
  }
  UniqueFd fd(::open(path.c_str(), open_flags(links)));
  return read_opened(std::move(fd), errno, path, max_bytes, pipes, links);
}

Result<std::string> read_text_file_at(int folder, const std::string& name,
                                      const std::string& path, std::size_t max_bytes, Links links,
                                      bool* not_found) {
  UniqueFd fd(::openat(folder, name.c_str(), open_flags(links)));
  const int open_error = errno;
  if (not_found != nullptr) *not_found = !fd.valid() && open_error == ENOENT;
  return read_opened(std::move(fd), open_error, path, max_bytes, Pipes::kRefused, links);
}

Result<std::string> read_json_file(const std::string& path, Pipes pipes) {
  Result<std::string> file = read_text_file(path, kMaxTextFileBytes, pipes);
  if (!file.ok()) return file;
  const std::string name = pipes == Pipes::kRead && path == kStdinPath ? "stdin" : path;
  if (auto error = json_syntax_error(name, *file)) return Error{std::move(*error)};
  return file;
}

}  // namespace krepis

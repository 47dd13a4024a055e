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

}  // namespace

Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO someone named must not hang the runner; we refuse it below.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return failure(path, std::strerror(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return failure(path, std::strerror(errno));
  if (S_ISDIR(info.st_mode)) return failure(path, "is a directory, not a file");
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
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
  if (auto bad = first_invalid_utf8(text)) {
    TextPosition at = position_of(text, *bad);
    return failure(path, fmt::format("is not valid UTF-8 (byte {} at line {}, column {})", *bad,
                                     at.line, at.column));
  }
  return text;
}

Result<std::string> read_json_file(const std::string& path) {
  Result<std::string> file = read_text_file(path);
  if (!file.ok()) return file;
  if (auto error = json_syntax_error(path, *file)) return Error{std::move(*error)};
  return file;
}

}  // namespace krepis

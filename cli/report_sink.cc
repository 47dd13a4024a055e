#include "cli/report_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cli/file_descriptors.h"
#include "cli/terminal.h"
#include "core/base/report.h"
#include "core/base/unique_fd.h"

namespace krepis::cli {

std::optional<ReportSink> ReportSink::open(const std::string& where,
                                           const std::vector<std::string>& keep,
                                           std::string& error) {
  if (where == "stdout" || where == "-") return ReportSink(Kind::kStdout, where, nullptr);
  if (where == "stderr") return ReportSink(Kind::kStderr, where, nullptr);
  if (where == "none") return ReportSink(Kind::kNone, where, nullptr);
  if (where.empty()) {
    error = "--report: give stdout, stderr, none or a FILE";
    return std::nullopt;
  }
  // Not truncated yet: the file may be one that must be kept. O_NONBLOCK: a FIFO without a
  // reader is refused (ENXIO) rather than waited for.
  UniqueFd fd(::open(where.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0666));
  if (!fd.valid()) {
    error = fmt::format("--report {}: {}", where,
                        errno == ENOENT   ? "its folder does not exist"
                        : errno == ENXIO  ? "a pipe nobody reads"
                        : errno == EACCES ? "permission denied"
                                          : std::strerror(errno));
    return std::nullopt;
  }
  struct stat file {};
  if (::fstat(fd.get(), &file) != 0) {
    error = fmt::format("--report {}: {}", where, std::strerror(errno));
    return std::nullopt;
  }
  if (same_file_as(file, STDOUT_FILENO)) return ReportSink(Kind::kStdout, where, nullptr);
  if (same_file_as(file, STDERR_FILENO)) return ReportSink(Kind::kStderr, where, nullptr);
  if (const std::string* read = same_file_among(file, keep)) {
    error = fmt::format("--report {}: is {}, which krepis reads: it would be overwritten", where,
                        *read);
    return std::nullopt;
  }
  if (S_ISREG(file.st_mode) && ::ftruncate(fd.get(), 0) != 0) {
    error = fmt::format("--report {}: {}", where, std::strerror(errno));
    return std::nullopt;
  }
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  std::FILE* stream = ::fdopen(fd.get(), "w");
  if (stream == nullptr) {
    error = fmt::format("--report {}: {}", where, std::strerror(errno));
    return std::nullopt;
  }
  fd.release();  // the stream owns it now
  return ReportSink(Kind::kFile, where, stream);
}

void ReportSink::write(const RunReport& report, bool json) {
  switch (kind_) {
    case Kind::kNone:
      return;
    case Kind::kStdout:
      if (json) {
        print_out("{}\n", json_line(report));
      } else {
        print_human_report(report);
      }
      return;
    case Kind::kStderr:
    case Kind::kFile: {
      std::FILE* stream = kind_ == Kind::kStderr ? stderr : file_.get();
      const bool colour = kind_ == Kind::kStderr && colour_on(STDERR_FILENO);
      const std::string text = json ? json_line(report) + "\n" : human_report_text(report, colour);
      // A failure stays in the stream's error flag, which finish() reads.
      std::fwrite(text.data(), 1, text.size(), stream);
      std::fflush(stream);
      return;
    }
  }
}

int ReportSink::finish(int status) {
  std::FILE* stream = kind_ == Kind::kFile     ? file_.get()
                      : kind_ == Kind::kStderr ? stderr
                                               : nullptr;
  if (stream == nullptr) return status;  // stdout's own check is finish_stdout's
  if (std::fflush(stream) == 0 && std::ferror(stream) == 0) return status;
  if (kind_ == Kind::kFile) {
    print_error(fmt::format(
        "cannot write reports to {}: some were lost (a full disk or an I/O error)", path_));
  }
  return kOutputLost;
}

}  // namespace krepis::cli

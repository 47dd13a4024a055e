#include "cli/report_sink.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cli/terminal.h"
#include "core/base/report.h"

namespace krepis::cli {

std::optional<ReportSink> ReportSink::open(const std::string& where, std::string& error) {
  if (where == "stdout") return ReportSink(Kind::kStdout, where, nullptr);
  if (where == "stderr") return ReportSink(Kind::kStderr, where, nullptr);
  if (where == "none") return ReportSink(Kind::kNone, where, nullptr);
  if (where.empty()) {
    error = "--report: give stdout, stderr, none or a FILE";
    return std::nullopt;
  }
  std::FILE* file = std::fopen(where.c_str(), "we");
  if (file == nullptr) {
    error =
        fmt::format("--report {}: {}", where, errno == ENOENT ? "not found" : std::strerror(errno));
    return std::nullopt;
  }
  return ReportSink(Kind::kFile, where, file);
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
  if (kind_ != Kind::kFile) return status;
  if (std::fflush(file_.get()) == 0 && std::ferror(file_.get()) == 0) return status;
  print_error(fmt::format(
      "cannot write reports to {}: some were lost (a full disk or an I/O error)", path_));
  return kOutputLost;
}

}  // namespace krepis::cli

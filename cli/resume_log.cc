#include "cli/resume_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cli/file_descriptors.h"
#include "core/base/json_syntax.h"
#include "core/base/report.h"
#include "core/base/utf8.h"

namespace krepis::cli {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

}  // namespace

std::optional<ResumeLog> ResumeLog::open(const std::string& path, std::string& error) {
  const std::string shown = one_line(path);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    error = fmt::format("--resume {}: {}", shown, std::strerror(errno));
    return std::nullopt;
  }
  struct stat file {};
  if (::fstat(fd.get(), &file) != 0 || !S_ISREG(file.st_mode)) {
    error = fmt::format("--resume {}: not a regular file", shown);
    return std::nullopt;
  }
  if (same_file_as(file, STDOUT_FILENO)) {
    error = fmt::format(
        "--resume {}: it is stdout's file too, so each report would be written twice (krepis "
        "appends to it: leave stdout elsewhere)",
        shown);
    return std::nullopt;
  }
  // One batch at a time per record: two would each run the jobs the other has not reported
  // yet, and one could take the other's line in progress for a cut one.
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    error = fmt::format("--resume {}: another krepis batch is using it (it is locked); wait for "
                        "that one to end",
                        shown);
    return std::nullopt;
  }
  ResumeLog log(path, std::move(fd));
  auto not_a_record = [&](std::size_t line) {
    return fmt::format(
        "--resume {}:{}: neither a report nor a summary line: --resume takes the JSON Lines of "
        "a batch (krepis batch --json, or an earlier --resume)",
        shown, line);
  };
  // Line by line, a chunk at a time: a record of many jobs is never held whole.
  std::string pending;
  std::size_t line_number = 0;
  std::size_t complete_bytes = 0;  // up to the end of the last whole line
  std::string chunk(kChunk, '\0');
  for (;;) {
    const ssize_t got = ::pread(log.fd_.get(), chunk.data(), chunk.size(),
                                static_cast<off_t>(complete_bytes + pending.size()));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      error = fmt::format("--resume {}: {}", shown, std::strerror(errno));
      return std::nullopt;
    }
    if (got == 0) break;
    pending.append(chunk.data(), static_cast<std::size_t>(got));
    std::size_t start = 0;
    for (std::size_t newline; (newline = pending.find('\n', start)) != std::string::npos;
         start = newline + 1) {
      ++line_number;
      const std::string_view line(pending.data() + start, newline - start);
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      nlohmann::json parsed = nlohmann::json::parse(nlohmann_parsable(line), nullptr, false);
      if (parsed.is_object() && parsed.contains("summary")) continue;
      std::optional<RunReport> report =
          parsed.is_discarded() ? std::nullopt : report_from_json(parsed);
      if (!report || report->script.empty()) {
        error = not_a_record(line_number);
        return std::nullopt;
      }
      log.done_.insert(report->script);
      log.recorded_exit_status_ =
          combine_exit_status(log.recorded_exit_status_, exit_status_for(report->status));
    }
    complete_bytes += start;
    pending.erase(0, start);
  }
  if (!pending.empty()) {
    // The last line was cut as it was written (the batch was killed): its job runs again.
    // Only a line krepis began ({...) is dropped: any other text means this is no record.
    if (pending.front() != '{') {
      error = not_a_record(line_number + 1);
      return std::nullopt;
    }
    if (::ftruncate(log.fd_.get(), static_cast<off_t>(complete_bytes)) != 0) {
      error = fmt::format("--resume {}: cannot drop its cut last line: {}", shown,
                          std::strerror(errno));
      return std::nullopt;
    }
    log.dropped_bytes_ = pending.size();
  }
  return log;
}

bool ResumeLog::append(std::string_view line, int exit_status) {
  recorded_exit_status_ = combine_exit_status(recorded_exit_status_, exit_status);
  std::string text(line);
  text += '\n';
  return write_all(fd_.get(), text);
}

}  // namespace krepis::cli

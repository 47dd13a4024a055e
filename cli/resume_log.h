// `krepis batch --resume FILE`: FILE is the batch's JSON Lines record. The jobs it already
// holds a report of are done and do not run again; the reports of the jobs that run now are
// appended to it as they come (reports only: the summary of each run goes to stdout, so that
// `krepis summarize FILE` sees each job once and no run's interruption). It is locked while
// a batch uses it. A batch killed halfway (SIGKILL, a node
// lost) is resumed by running the same command again: each job ends up reported exactly
// once in FILE, and `krepis summarize FILE` counts each once. A job in flight at the kill
// has no report, so it runs again; a last line cut mid-write is dropped from FILE first.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/base/unique_fd.h"

namespace krepis::cli {

class ResumeLog {
 public:
  // Reads FILE (a missing one is a new, empty record) and opens it to append. Nothing, with
  // `error` set, when it cannot be read or written, holds a line that is neither a report
  // nor a summary (so it is not a batch's record), or is stdout's own file (each report
  // would be written twice).
  static std::optional<ResumeLog> open(const std::string& path, std::string& error);

  // Whether the job named `name` ("<tenant>/<job>.js") has its report in FILE.
  bool done(const std::string& name) const { return done_.count(name) > 0; }
  std::size_t done_count() const { return done_.size(); }
  // The names of the jobs reported in FILE.
  const std::set<std::string>& done_names() const { return done_; }
  // The exit status the reports in FILE imply (the contract's, the worst wins).
  int recorded_exit_status() const { return recorded_exit_status_; }
  // Bytes of a last line cut mid-write that open() dropped (0 when none).
  std::size_t dropped_bytes() const { return dropped_bytes_; }

  // Appends one report line (without its newline) in one write, and the exit status it
  // implies to recorded_exit_status(); false when it could not be written whole.
  bool append(std::string_view line, int exit_status);
  const std::string& path() const { return path_; }

 private:
  ResumeLog(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  std::string path_;
  UniqueFd fd_;
  std::set<std::string> done_;
  int recorded_exit_status_ = 0;
  std::size_t dropped_bytes_ = 0;
};

}  // namespace krepis::cli

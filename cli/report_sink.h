// Where `krepis run --report` sends each run's report: stdout (the default), stderr, nowhere,
// or a file. With the report elsewhere, stdout carries the script's own output (or, with
// --print, its result) alone, as a pipeline needs.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/run_report.h"

namespace krepis::cli {

class ReportSink {
 public:
  // "stdout" (or "-"), "stderr", "none", or the path of a file to create or replace. A file
  // that is stdout's or stderr's own counts as that stream; one of `keep` (the command's
  // inputs, scripts, manifest) is refused, never emptied. Nothing, with `error` set, when the
  // file cannot be opened or is refused. Open it once the inputs are read, before the
  // process confines itself.
  static std::optional<ReportSink> open(const std::string& where,
                                        const std::vector<std::string>& keep, std::string& error);

  // The report as a JSON line or as the human usage line (with its result or error).
  void write(const RunReport& report, bool json);
  // At the end of the command: flushes, and returns kOutputLost (saying so on stderr) when a
  // report could not be written to its file; else `status`.
  int finish(int status);

 private:
  enum class Kind { kStdout, kStderr, kNone, kFile };
  struct Closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  ReportSink(Kind kind, std::string path, std::FILE* file)
      : kind_(kind), path_(std::move(path)), file_(file) {}

  Kind kind_;
  std::string path_;
  std::unique_ptr<std::FILE, Closer> file_;
};

}  // namespace krepis::cli

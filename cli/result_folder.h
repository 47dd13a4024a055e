// `krepis batch --out DIR`: each job's report (its result, output and figures: the --json
// line, as one JSON object) in DIR/<tenant>/<job>.json, written to a temporary file beside it
// and renamed into place, so that a reader sees a whole file or none. Every step opens one
// name beneath a descriptor with O_NOFOLLOW, so no tenant or job name and no symlink planted
// in DIR leads a file outside it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/run_report.h"
#include "core/base/unique_fd.h"

namespace krepis::cli {

class ResultFolder {
 public:
  // Opens DIR, making it if missing. Nothing, with `error` set, when it cannot be made or
  // opened, or is the batch's own folder or beneath it (results would mix with jobs and
  // their inputs).
  static std::optional<ResultFolder> open(const std::string& path, const std::string& batch_dir,
                                          std::string& error);

  // Writes the report line of the job named "<tenant>/<job>.js" as DIR/<tenant>/<job>.json;
  // false, with `error` set, when it cannot.
  bool write(const std::string& job_name, std::string_view report_line, std::string& error);
  // The job's whole report line, when DIR holds one (what --resume counts as done), and
  // its status.
  std::optional<std::string> completed_report(const std::string& job_name, RunStatus& status);
  const std::string& path() const { return path_; }

 private:
  ResultFolder(std::string path, UniqueFd fd) : path_(std::move(path)), root_(std::move(fd)) {}
  // The tenant's folder in DIR, made if `make`; -1 when it is not there or cannot be.
  int tenant_folder(const std::string& tenant, bool make);

  std::string path_;
  UniqueFd root_;
  std::map<std::string, UniqueFd> tenants_;
  std::size_t temporaries_ = 0;  // names each temporary file apart
};

// "<tenant>/<job>.js" split into the tenant and the result file's name ("<job>.json"), as
// the bytes of the folder's and the file's names (a report writes bytes that are not UTF-8
// as \xHH); nothing for a name that is not one folder and one file (none can be, from a plan).
std::optional<std::pair<std::string, std::string>> result_file_of(std::string_view job_name);

}  // namespace krepis::cli

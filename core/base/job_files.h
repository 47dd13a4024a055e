// Reading a batch job's files where the job runs: the script and its optional input, under
// the tenant's size limits, as regular files only.
#pragma once

#include "core/base/job.h"
#include "core/base/manifest.h"
#include "core/base/result.h"
#include "core/base/unique_fd.h"

namespace krepis {

// The folder the last job's files came from, kept open: a tenant's jobs come in streaks, and
// the next one's files are opened by name in it, so the kernel walks one name rather than the
// whole path (~3 us of a batch job's ~12 in the open, Landlock's checks being the rest).
// Used by one thread at a time.
class JobFolder {
 public:
  // read_text_file(path, max_bytes, Pipes::kRefused, Links::kRefused), with one difference:
  // while the folder is held, its files are read from it even if it was moved, or a symlink
  // on the way to it changed, since (the folder the batch listed). A file that is not there
  // is looked for by its whole path again (a folder removed and made anew).
  Result<std::string> read(const std::string& path, std::size_t max_bytes);

 private:
  std::string path_;  // the folder open as fd_, or empty
  UniqueFd fd_;
};

// Fills the job's source and input from job.script_file and job.input_file (nothing to do
// when script_file is empty). The error says why the job is denied, naming the file.
Result<Done> load_job_files(Job& job, const TenantSpec& tenant, JobFolder& folder);

}  // namespace krepis

// Reading a batch job's files where the job runs: the script and its optional input, under
// the tenant's size limits, as regular files only.
#pragma once

#include "core/base/job.h"
#include "core/base/manifest.h"
#include "core/base/result.h"

namespace krepis {

// Fills the job's source and input from job.script_file and job.input_file (nothing to do
// when script_file is empty). The error says why the job is denied, naming the file.
Result<Done> load_job_files(Job& job, const TenantSpec& tenant);

}  // namespace krepis

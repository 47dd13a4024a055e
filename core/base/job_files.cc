#include "core/base/job_files.h"

#include <fmt/format.h>

#include "core/base/text_file.h"

namespace krepis {
namespace {

// A file refused for its size says which setting refused it.
std::string with_limit(std::string message, const char* key, std::size_t limit) {
  if (message.find("over the limit") != std::string::npos) {
    message += fmt::format(" (the tier's {} = {})", key, limit / kMiB);
  }
  return message;
}

}  // namespace

Result<Done> load_job_files(Job& job, const TenantSpec& tenant) {
  if (job.script_file.empty()) return Done{};
  // A tenant's folder holds the tenant's files: a symlink there could make the runner read
  // any file of the host as a job or its input (and quote it in a syntax error).
  Result<std::string> script =
      read_text_file(job.script_file, tenant.max_script_bytes, Pipes::kRefused, Links::kRefused);
  if (!script.ok())
    return Error{with_limit(script.error().message, "max_script_mb", tenant.max_script_bytes)};
  job.source = std::move(script).value();
  if (!job.input_file.empty()) {
    // Validated by V8 as it parses it, in the run, before the script: checking it here
    // first cost more than the parse itself (a third of a job with a 16 KB input).
    Result<std::string> input =
        read_text_file(job.input_file, tenant.max_input_bytes, Pipes::kRefused, Links::kRefused);
    if (!input.ok()) {
      return Error{"input " +
                   with_limit(input.error().message, "max_input_mb", tenant.max_input_bytes)};
    }
    job.input_json = std::move(input).value();
    job.input_name = "input " + job.input_file;
  }
  return Done{};
}

}  // namespace krepis

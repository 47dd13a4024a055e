#include "core/base/job_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>

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

Result<std::string> JobFolder::read(const std::string& path, std::size_t max_bytes) {
  const auto by_path = [&] {
    return read_text_file(path, max_bytes, Pipes::kRefused, Links::kRefused);
  };
  const std::size_t slash = path.rfind('/');
  // A path the kernel would refuse as too long is refused as such.
  if (slash == std::string::npos || slash + 1 == path.size() || path.size() >= PATH_MAX) {
    return by_path();
  }
  const std::string folder = slash == 0 ? "/" : path.substr(0, slash);
  const std::string name = path.substr(slash + 1);
  if (folder == path_ && fd_.valid()) {
    bool not_found = false;
    Result<std::string> text =
        read_text_file_at(fd_.get(), name, path, max_bytes, Links::kRefused, &not_found);
    // Not in the folder held: it may have been removed and made again since. The path is
    // looked up anew, and says what is wrong as its own open says it.
    if (!not_found) return text;
  }
  // O_PATH: the folder is only a place to open from, and needs no read access itself.
  fd_ = UniqueFd(::open(folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  path_ = fd_.valid() ? folder : std::string();
  // What is wrong with the folder is said as the whole path's open says it.
  if (!fd_.valid()) return by_path();
  return read_text_file_at(fd_.get(), name, path, max_bytes, Links::kRefused);
}

Result<Done> load_job_files(Job& job, const TenantSpec& tenant, JobFolder& folder) {
  if (job.script_file.empty()) return Done{};
  // A tenant's folder holds the tenant's files: a symlink there could make the runner read
  // any file of the host as a job or its input (and quote it in a syntax error).
  Result<std::string> script = folder.read(job.script_file, tenant.max_script_bytes);
  if (!script.ok())
    return Error{with_limit(script.error().message, "max_script_mb", tenant.max_script_bytes)};
  job.source = std::move(script).value();
  if (!job.input_file.empty()) {
    // Validated by V8 as it parses it, in the run, before the script: checking it here
    // first cost more than the parse itself (a third of a job with a 16 KB input).
    Result<std::string> input = folder.read(job.input_file, tenant.max_input_bytes);
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

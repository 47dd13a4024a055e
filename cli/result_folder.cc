#include "cli/result_folder.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/file_descriptors.h"
#include "core/base/json_syntax.h"
#include "core/base/report.h"
#include "core/base/utf8.h"

namespace krepis::cli {
namespace {

bool plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// The bytes of a name as a report shows it: \xHH and \\ undone (core/base/utf8.h's
// escape_invalid_utf8 wrote them).
std::string name_bytes(std::string_view shown) {
  std::string bytes;
  for (std::size_t i = 0; i < shown.size(); ++i) {
    if (shown[i] == '\\' && i + 1 < shown.size() && shown[i + 1] == '\\') {
      bytes += '\\';
      ++i;
    } else if (shown[i] == '\\' && i + 3 < shown.size() && shown[i + 1] == 'x') {
      bytes += static_cast<char>(std::stoi(std::string(shown.substr(i + 2, 2)), nullptr, 16));
      i += 3;
    } else {
      bytes += shown[i];
    }
  }
  return bytes;
}

// Past this a result file is no report krepis wrote (a result is at most 16 MiB of JSON,
// output at most 16 MiB, both escaped).
constexpr off_t kMaxResultFileBytes = 256 * 1024 * 1024;

}  // namespace

std::optional<std::pair<std::string, std::string>> result_file_of(std::string_view job_name) {
  const std::size_t slash = job_name.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string tenant = name_bytes(job_name.substr(0, slash));
  std::string job = name_bytes(job_name.substr(slash + 1));
  // "a.js" writes a.json; a module keeps its extension (a.mjs.json), and so does a script
  // whose name would make it look like one (a.mjs.js: a.mjs.js.json): no two share a file.
  if (job.ends_with(".js") && !job.ends_with(".mjs.js")) job.resize(job.size() - 3);
  std::string file = job + ".json";
  if (!plain_name(tenant) || !plain_name(file) || job.empty()) return std::nullopt;
  return std::pair{std::move(tenant), std::move(file)};
}

std::optional<ResultFolder> ResultFolder::open(const std::string& path,
                                               const std::string& batch_dir, std::string& error) {
  const std::string shown = one_line(path);
  std::error_code code;
  // Beneath the batch's folder (or it): the results would be read as jobs and inputs. Asked
  // before DIR is made, so a refused one leaves nothing there.
  const std::filesystem::path out = std::filesystem::weakly_canonical(path, code);
  const std::filesystem::path jobs = std::filesystem::canonical(batch_dir, code);
  if (!code) {
    auto [mismatch, rest] = std::mismatch(jobs.begin(), jobs.end(), out.begin(), out.end());
    if (mismatch == jobs.end()) {
      error = fmt::format("--out {}: it is in the batch's folder {}, where results would be "
                          "taken for jobs and inputs; put them elsewhere",
                          shown, one_line(batch_dir));
      return std::nullopt;
    }
  }
  std::filesystem::create_directories(path, code);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    error = fmt::format("--out {}: {}", shown, std::strerror(errno));
    return std::nullopt;
  }
  return ResultFolder(path, std::move(fd));
}

int ResultFolder::tenant_folder(const std::string& tenant, bool make) {
  if (auto found = tenants_.find(tenant); found != tenants_.end()) return found->second.get();
  if (make && ::mkdirat(root_.get(), tenant.c_str(), 0755) != 0 && errno != EEXIST) return -1;
  UniqueFd fd(::openat(root_.get(), tenant.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return -1;
  return tenants_.emplace(tenant, std::move(fd)).first->second.get();
}

bool ResultFolder::write(const std::string& job_name, std::string_view report_line,
                         std::string& error) {
  std::optional<std::pair<std::string, std::string>> file = result_file_of(job_name);
  if (!file) {
    error = fmt::format("--out {}: no result file for the job named {}", one_line(path_),
                        one_line(job_name));
    return false;
  }
  const auto& [tenant, name] = *file;
  const int folder = tenant_folder(tenant, true);
  if (folder < 0) {
    error = fmt::format("--out {}: cannot use the folder {}: {}", one_line(path_), one_line(tenant),
                        errno == ELOOP || errno == ENOTDIR ? "not a folder (a symlink is refused)"
                                                          : std::strerror(errno));
    return false;
  }
  // A name of krepis's own, short whatever the job's, made afresh (O_EXCL, after removing
  // any file planted there: a hard link to a file elsewhere, a FIFO).
  const std::string temporary = fmt::format(".krepis-{}-{}.tmp", ::getpid(), ++temporaries_);
  ::unlinkat(folder, temporary.c_str(), 0);
  UniqueFd fd(::openat(folder, temporary.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  std::string text(report_line);
  text += '\n';
  if (!fd.valid() || !write_all(fd.get(), text) || ::close(fd.release()) != 0 ||
      ::renameat(folder, temporary.c_str(), folder, name.c_str()) != 0) {
    error = fmt::format("--out {}: cannot write the result of {}: {}", one_line(path_),
                        one_line(job_name), std::strerror(errno));
    ::unlinkat(folder, temporary.c_str(), 0);
    return false;
  }
  return true;
}

std::optional<std::string> ResultFolder::completed_report(const std::string& job_name,
                                                          RunStatus& status) {
  std::optional<std::pair<std::string, std::string>> file = result_file_of(job_name);
  if (!file) return std::nullopt;
  const int folder = tenant_folder(file->first, false);
  if (folder < 0) return std::nullopt;
  // Not blocking on a FIFO, and only a regular file of a report's size.
  UniqueFd fd(::openat(folder, file->second.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat info {};
  if (!fd.valid() || ::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode) ||
      info.st_size > kMaxResultFileBytes) {
    return std::nullopt;
  }
  std::string text;
  char chunk[65536];
  for (ssize_t n; (n = ::read(fd.get(), chunk, sizeof chunk)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  nlohmann::json parsed = nlohmann::json::parse(nlohmann_parsable(text), nullptr, false);
  std::optional<RunReport> report = parsed.is_discarded() ? std::nullopt : report_from_json(parsed);
  if (!report || report->script != job_name) return std::nullopt;
  status = report->status;
  return json_line(*report);  // one line, whatever the file's layout
}

}  // namespace krepis::cli

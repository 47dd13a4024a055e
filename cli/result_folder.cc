#include "cli/result_folder.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/base/json_syntax.h"
#include "core/base/report.h"
#include "core/base/utf8.h"

namespace krepis::cli {
namespace {

bool plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> result_file_of(std::string_view job_name) {
  const std::size_t slash = job_name.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string tenant(job_name.substr(0, slash));
  std::string_view job = job_name.substr(slash + 1);
  if (job.ends_with(".js")) job.remove_suffix(3);
  std::string file = std::string(job) + ".json";
  if (!plain_name(tenant) || !plain_name(file) || job.empty()) return std::nullopt;
  return std::pair{std::move(tenant), std::move(file)};
}

std::optional<ResultFolder> ResultFolder::open(const std::string& path,
                                               const std::string& batch_dir, std::string& error) {
  const std::string shown = one_line(path);
  std::error_code code;
  std::filesystem::create_directories(path, code);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    error = fmt::format("--out {}: {}", shown, std::strerror(errno));
    return std::nullopt;
  }
  // Beneath the batch's folder (or it): the results would be read as jobs and inputs.
  const std::filesystem::path out = std::filesystem::canonical(path, code);
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
  const std::string temporary = "." + name + ".tmp";
  UniqueFd fd(::openat(folder, temporary.c_str(),
                       O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  std::string text(report_line);
  text += '\n';
  if (!fd.valid() || !write_all(fd.get(), text) || ::close(fd.release()) != 0 ||
      ::renameat(folder, temporary.c_str(), folder, name.c_str()) != 0) {
    error = fmt::format("--out {}: cannot write {}/{}: {}", one_line(path_), one_line(tenant),
                        one_line(name), std::strerror(errno));
    ::unlinkat(folder, temporary.c_str(), 0);
    return false;
  }
  return true;
}

bool ResultFolder::complete(const std::string& job_name) {
  std::optional<std::pair<std::string, std::string>> file = result_file_of(job_name);
  if (!file) return false;
  const int folder = tenant_folder(file->first, false);
  if (folder < 0) return false;
  UniqueFd fd(::openat(folder, file->second.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return false;
  std::string text;
  char chunk[65536];
  for (ssize_t n; (n = ::read(fd.get(), chunk, sizeof chunk)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  nlohmann::json parsed = nlohmann::json::parse(nlohmann_parsable(text), nullptr, false);
  std::optional<RunReport> report = parsed.is_discarded() ? std::nullopt : report_from_json(parsed);
  return report && report->script == job_name;
}

}  // namespace krepis::cli

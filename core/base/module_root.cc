#include "core/base/module_root.h"

#include <fmt/format.h>

#include <algorithm>

namespace krepis {

bool is_module_script(std::string_view path, bool modules_by_default) {
  return modules_by_default || path.ends_with(".mjs");
}

std::string module_root_path(const std::filesystem::path& folder) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(folder, error);
  return (error ? folder : absolute).lexically_normal().string();
}

void set_module_root(Job& job, const std::filesystem::path& folder, std::string name,
                     std::string entry) {
  job.module_root = module_root_path(folder);
  job.module_root_name = std::move(name);
  job.entry_path = std::move(entry);
}

std::optional<std::string> unfit_module_root(const std::filesystem::path& folder) {
  std::error_code error;
  const std::filesystem::path absolute =
      std::filesystem::weakly_canonical(std::filesystem::absolute(folder, error), error);
  if (error) return fmt::format("{} cannot be resolved: {}", folder.string(), error.message());
  if (absolute == absolute.root_path()) return "the root folder / cannot hold a job's modules";
  for (const char* kernel : {"/dev", "/proc", "/sys"}) {
    const std::filesystem::path system(kernel);
    auto [end, unused] = std::mismatch(system.begin(), system.end(), absolute.begin(),
                                       absolute.end());
    if (end == system.end()) return fmt::format("{} is the kernel's, not a job's", kernel);
  }
  return std::nullopt;
}

std::optional<std::string> set_module_root_of_script(
    Job& job, const std::filesystem::path& path,
    const std::optional<std::filesystem::path>& module_root) {
  job.module_root.clear();
  job.module_root_name.clear();
  job.entry_path.clear();
  if (module_root) {
    if (auto unfit = unfit_module_root(*module_root)) return unfit;
    std::string entry;
    if (!path.empty()) {
      std::error_code error;
      const std::filesystem::path relative = std::filesystem::relative(
          std::filesystem::absolute(path, error), std::filesystem::absolute(*module_root, error),
          error);
      // A script outside the root imports from the root itself.
      if (!error && !relative.empty() && *relative.begin() != "..") entry = relative.string();
    }
    // Named as given, tidied: "examples/" and "./examples" are "examples", "." is "".
    std::string name = module_root->lexically_normal().string();
    while (name.size() > 1 && name.ends_with('/')) name.pop_back();
    if (name == ".") name.clear();
    set_module_root(job, *module_root, std::move(name), entry);
    return std::nullopt;
  }
  if (path.empty()) return "it has no folder of its own (give --module-root DIR)";
  const std::filesystem::path folder = path.parent_path();
  const std::filesystem::path root = folder.empty() ? std::filesystem::path(".") : folder;
  if (auto unfit = unfit_module_root(root)) return unfit;
  set_module_root(job, root, folder.string(), path.filename().string());
  return std::nullopt;
}

}  // namespace krepis

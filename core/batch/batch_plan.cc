#include "core/batch/batch_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/base/utf8.h"

namespace krepis {
namespace {

namespace fs = std::filesystem;

std::vector<fs::directory_entry> sorted_entries(const fs::path& dir, std::error_code& error) {
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    entries.push_back(*it);
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.path().filename() < b.path().filename(); });
  return entries;
}

bool is_job_file(const fs::path& path) {
  return path.extension() == ".js" || path.extension() == ".mjs";
}

// The jobs of one tenant's folder, and what in it is not a job or a job's input. A job is a
// `.js` or `.mjs` entry that is not a folder (a symlink or a file that cannot be read is still a job:
// its run says what is wrong); its input is the `.json` entry of the same name that is not a
// folder, whatever it turns out to be, so an input that cannot be read fails its job rather
// than vanish. Folders hold what the jobs import (ES modules, JSON), never jobs.
std::vector<BatchJob> tenant_jobs(const std::string& tenant,
                                  const std::vector<fs::directory_entry>& files,
                                  std::vector<SkippedEntry>& skipped,
                                  std::vector<std::string>& libraries) {
  std::error_code code;
  std::map<std::string, fs::path> inputs;  // by stem
  std::set<std::string> stems;
  for (const auto& file : files) {
    if (file.is_directory(code)) continue;
    if (is_job_file(file.path())) stems.insert(file.path().stem().string());
    if (file.path().extension() == ".json") inputs.emplace(file.path().stem().string(), file);
  }
  std::vector<BatchJob> jobs;
  for (const auto& file : files) {
    const std::string name = escape_invalid_utf8(file.path().filename().string());
    const std::string extension = file.path().extension().string();
    const std::string stem = file.path().stem().string();
    const bool is_folder = file.is_directory(code);
    if (!is_folder && is_job_file(file.path())) {
      BatchJob job{tenant, file.path(), std::nullopt, tenant + "/" + name};
      if (auto input = inputs.find(stem); input != inputs.end()) job.input = input->second;
      jobs.push_back(std::move(job));
    } else if (!is_folder && extension == ".json" && stems.count(stem)) {
      continue;  // the input of a job
    } else if (is_folder) {
      libraries.push_back(tenant + "/" + name + "/");
    } else if (extension == ".json") {
      skipped.push_back({tenant + "/" + name,
                         fmt::format("an input without its job ({}.js or {}.mjs)",
                                     escape_invalid_utf8(stem), escape_invalid_utf8(stem))});
    } else {
      skipped.push_back({tenant + "/" + name, "not a job (.js, .mjs) or a job's input (.json)"});
    }
  }
  return jobs;
}

}  // namespace

Result<BatchPlan> plan_batch(const fs::path& dir, const Shard& shard) {
  std::error_code code;
  if (!fs::is_directory(dir, code)) {
    return Error{fmt::format("{}: {}", dir.string(),
                             fs::exists(dir, code) ? "not a folder" : "no such folder")};
  }
  BatchPlan plan;
  std::vector<fs::directory_entry> tenants = sorted_entries(dir, code);
  if (code) {
    return Error{fmt::format("{}: {}", dir.string(), code.message())};
  }
  for (const fs::directory_entry& tenant_dir : tenants) {
    // Names as reports print them: bytes that are not UTF-8 escaped, so that two files whose
    // names differ only in such bytes are told apart (a tenant id is plain ASCII anyway).
    const std::string tenant = escape_invalid_utf8(tenant_dir.path().filename().string());
    if (!tenant_dir.is_directory(code)) {
      // Counted by one shard only, so merged shards count it once.
      if (shard.index == 0) {
        plan.skipped.push_back(
            {tenant, "a file at the top of DIR: jobs are in tenant folders, DIR/<tenant>/<job>.js or .mjs"});
      }
      continue;
    }
    if (!shard.takes(tenant)) {
      // Its files are another shard's to count; only its jobs are counted here, as that
      // shard counts them.
      std::vector<SkippedEntry> theirs;
      std::vector<std::string> their_libraries;
      std::vector<fs::directory_entry> files = sorted_entries(tenant_dir.path(), code);
      plan.other_shards += tenant_jobs(tenant, files, theirs, their_libraries).size();
      code.clear();
      continue;
    }
    std::vector<fs::directory_entry> files = sorted_entries(tenant_dir.path(), code);
    if (code) {
      // An unreadable tenant folder: say so as a skipped entry rather than stop the batch.
      plan.skipped.push_back({tenant + "/", "the folder cannot be read: " + code.message()});
      code.clear();
      continue;
    }
    for (BatchJob& job : tenant_jobs(tenant, files, plan.skipped, plan.libraries)) {
      plan.jobs.push_back(std::move(job));
    }
  }
  return plan;
}

}  // namespace krepis

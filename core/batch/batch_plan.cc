#include "core/batch/batch_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/base/utf8.h"
#include "core/batch/shard_plan.h"

namespace krepis {
namespace {

namespace fs = std::filesystem;

std::vector<fs::directory_entry> sorted_entries(const fs::path& dir, std::error_code& error) {
  // Sorted by name, each name taken once: a path's filename() is a new path, and comparing
  // two walks them element by element.
  std::vector<std::pair<std::string, fs::directory_entry>> named;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    named.emplace_back(it->path().filename().native(), *it);
  }
  std::sort(named.begin(), named.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<fs::directory_entry> entries;
  entries.reserve(named.size());
  for (auto& [name, entry] : named) entries.push_back(std::move(entry));
  return entries;
}

// One tenant's folder as listed: its jobs in name order, and the rest.
struct Listed {
  std::string tenant;
  std::vector<BatchJob> jobs;
  std::vector<SkippedEntry> skipped;
  std::vector<std::string> libraries;
};

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
  // Every shard lists the whole folder: by jobs, the plan is made from all of it.
  std::vector<Listed> listed;
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
    Listed& entry = listed.emplace_back();
    entry.tenant = tenant;
    std::vector<fs::directory_entry> files = sorted_entries(tenant_dir.path(), code);
    if (code) {
      // An unreadable tenant folder: said as a skipped entry rather than stop the batch.
      entry.skipped.push_back({tenant + "/", "the folder cannot be read: " + code.message()});
      code.clear();
      continue;
    }
    entry.jobs = tenant_jobs(tenant, files, entry.skipped, entry.libraries);
  }
  PlanFingerprint fingerprint(to_string(shard.by), shard.count);
  if (shard.by == ShardBy::kJobs) {
    for (const Listed& entry : listed) {
      for (const BatchJob& job : entry.jobs) fingerprint.add(job.name);
    }
  }
  plan.fingerprint = fingerprint.hex();
  // The part of each tenant this shard runs: all of it, none, or (by jobs) a run of its jobs.
  // The shard with a tenant's first part also says what else its folder holds.
  auto take = [&plan](Listed& entry, std::size_t begin, std::size_t end) {
    if (begin == 0) {
      plan.skipped.insert(plan.skipped.end(), entry.skipped.begin(), entry.skipped.end());
      plan.libraries.insert(plan.libraries.end(), entry.libraries.begin(), entry.libraries.end());
    }
    for (std::size_t i = begin; i < end; ++i) plan.jobs.push_back(std::move(entry.jobs[i]));
  };
  std::size_t taken = 0;
  std::size_t total = 0;
  if (shard.count == 1 || shard.by == ShardBy::kTenant) {
    for (Listed& entry : listed) {
      total += entry.jobs.size();
      if (shard.count == 1 || shard.takes(entry.tenant)) {
        taken += entry.jobs.size();
        take(entry, 0, entry.jobs.size());
      }
    }
  } else {
    std::vector<std::size_t> counts;
    for (const Listed& entry : listed) {
      counts.push_back(entry.jobs.size());
      total += entry.jobs.size();
    }
    for (const ShardPart& part : balance_shards(counts, shard.count)) {
      if (part.shard != shard.index) continue;
      taken += part.end - part.begin;
      take(listed[part.tenant], part.begin, part.end);
    }
  }
  plan.other_shards = total - taken;
  return plan;
}

}  // namespace krepis

// A batch directory turned into a list of jobs (the contract's layout):
//   DIR/<tenant>/<job>.js     a job of that tenant (or <job>.mjs: an ES module)
//   DIR/<tenant>/<job>.json   its optional input, exposed as `input`
//   DIR/<tenant>/<folder>/    files its jobs may import, never jobs
// Only the layout is read here; job files are read when their job runs.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/batch/shard.h"

namespace krepis {

struct BatchJob {
  std::string tenant;
  std::filesystem::path script;  // DIR/<tenant>/<job>.js or .mjs
  std::optional<std::filesystem::path> input;
  // The name in reports: "<tenant>/<job>.js", relative to DIR.
  std::string name;
};

// A file or folder of DIR that is not a job or a job's input, and why, for `--verbose`.
struct SkippedEntry {
  std::string name;  // relative to DIR, as reports name jobs; folders end in '/'
  std::string why;   // "a nested folder: jobs are only DIR/<tenant>/<job>.js", ...
  bool operator==(const SkippedEntry&) const = default;
};

struct BatchPlan {
  std::vector<BatchJob> jobs;  // by tenant, then by name
  // Files and folders that are not jobs or inputs (a README, an input without its job).
  std::vector<SkippedEntry> skipped;
  // Folders in tenants' folders: what their jobs import ("acme/lib/"), never jobs.
  std::vector<std::string> libraries;
  // Jobs of tenants in other shards.
  std::size_t other_shards = 0;
  // What the plan was made from (PlanFingerprint): shards of one batch all print the same,
  // and `summarize` merges no others. By jobs, the whole listing; by tenant, the mode and
  // the count alone (each tenant's shard does not depend on the listing).
  std::string fingerprint;
};

// Scans DIR; an error when DIR cannot be read as a folder.
Result<BatchPlan> plan_batch(const std::filesystem::path& dir, const Shard& shard);

}  // namespace krepis

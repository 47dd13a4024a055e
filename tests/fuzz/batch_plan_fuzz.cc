// The batch directory planner (core/batch/batch_plan) on a tree the fuzzer describes: tenant
// folders, job and input files, nested folders and symlinks (to siblings, out of the batch,
// dangling, to themselves), with names of any bytes but '/' and NUL. Must hold: every entry
// is accounted for exactly once (a job, a job's input, a library folder, or skipped), every
// job is a file of a tenant folder named as reports name it, and shards (by jobs and by
// tenant) split the jobs without loss or overlap, and agree on the plan's fingerprint.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "core/base/unique_fd.h"
#include "core/base/utf8.h"
#include "core/batch/batch_plan.h"
#include "fuzz/fuzz_check.h"

namespace fs = std::filesystem;
using krepis::fuzz::check;
using krepis::fuzz::Choices;

namespace {

// A tmpfs folder of this process's own, so trees cost no disk writes.
const fs::path& scratch() {
  static const fs::path path = [] {
    fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    fs::path mine = base / ("krepis-fuzz-plan-" + std::to_string(getpid()));
    fs::create_directories(mine / "outside" / "tenant");
    std::ofstream(mine / "outside" / "tenant" / "stolen.js") << "1";
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(scratch(), ignored);
    });
    return mine;
  }();
  return path;
}

std::string entry_name(Choices& choices) {
  std::string name(choices.bytes(12));
  for (char& c : name) {
    if (c == '/' || c == '\0') c = '_';
  }
  if (name.empty() || name == "." || name == "..") name += "n";
  static const char* const kEndings[] = {".js", ".json", "", ".js", ".JS", ".js.json", ".json",
                                         ".mjs"};
  return name + kEndings[choices.below(std::size(kEndings))];
}

void build_tree(Choices& choices, const fs::path& batch) {
  std::vector<fs::path> folders{batch};  // where entries may go: the batch, then tenants
  std::vector<fs::path> made;
  for (int i = 0; i < 24 && !choices.empty(); ++i) {
    const fs::path parent = folders[choices.below(folders.size())];
    const fs::path path = parent / entry_name(choices);
    std::error_code ignored;
    switch (choices.below(4)) {
      case 0:
        if (fs::create_directory(path, ignored)) folders.push_back(path);
        break;
      case 1: {
        // Never through a symlink made before: those lead out of the scratch folder.
        krepis::UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644));
        if (file.get() >= 0) static_cast<void>(::write(file.get(), "x", 1));
        break;
      }
      case 2: {
        static const char* const kTargets[] = {"../outside/tenant", "/nonexistent", ".", "..",
                                               "/etc/hostname"};
        const std::size_t pick = choices.below(std::size(kTargets) + 2);
        fs::path target = pick < std::size(kTargets) ? fs::path(kTargets[pick])
                          : pick == std::size(kTargets) && !made.empty()
                              ? made[choices.below(made.size())]
                              : path;  // a loop
        if (pick == 0 && parent != batch) target = "../../outside/tenant";
        fs::create_symlink(target, path, ignored);
        break;
      }
      default:
        if (parent != batch) fs::create_directory(path, ignored);
        break;
    }
    made.push_back(path);
  }
}

// What reports call an entry of the batch: names escaped as the planner escapes them.
std::string report_name(const fs::path& batch, const fs::path& path) {
  std::string name;
  for (const fs::path& part : path.lexically_relative(batch)) {
    if (!name.empty()) name += '/';
    name += krepis::escape_invalid_utf8(part.string());
  }
  return name;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path batch = scratch() / "batch";
  fs::remove_all(batch);
  fs::create_directory(batch);
  Choices choices(data, size);
  build_tree(choices, batch);

  auto plan = krepis::plan_batch(batch, krepis::Shard{});
  check(plan.ok(), "a readable batch folder is planned");
  check(plan->other_shards == 0, "one shard takes every job");

  // Every entry of the batch and of its tenant folders, as reports would name it.
  std::multiset<std::string> entries;
  std::error_code code;
  for (const auto& top : fs::directory_iterator(batch)) {
    if (!top.is_directory(code)) {
      entries.insert(report_name(batch, top.path()));
      continue;
    }
    for (const auto& inner : fs::directory_iterator(top.path(), code)) {
      entries.insert(report_name(batch, top.path() / inner.path().filename()) +
                     (inner.is_directory(code) ? "/" : ""));
    }
  }
  std::multiset<std::string> reported;
  for (const krepis::SkippedEntry& entry : plan->skipped) reported.insert(entry.name);
  for (const std::string& library : plan->libraries) reported.insert(library);
  std::set<std::string> names;
  for (const krepis::BatchJob& job : plan->jobs) {
    check(names.insert(job.name).second, "job names are unique");
    check(job.script.parent_path().parent_path() == batch, "a job is a file of a tenant folder");
    check(job.script.extension() == ".js" || job.script.extension() == ".mjs",
          "a job is a .js or .mjs file");
    check(job.name == report_name(batch, job.script), "a job is named by its path");
    check(job.name.starts_with(job.tenant + "/"), "a job's name starts with its tenant");
    check(!fs::is_directory(job.script, code), "a job is not a folder");
    reported.insert(job.name);
    if (job.input) {
      check(job.input->parent_path() == job.script.parent_path(), "an input is beside its job");
      check(job.input->stem() == job.script.stem(), "an input has its job's name");
      reported.insert(report_name(batch, *job.input));
    }
  }
  check(reported == entries, "every entry is a job, an input or skipped, once");

  // Three shards, by jobs and by tenant: the same jobs, split without overlap.
  for (krepis::ShardBy by : {krepis::ShardBy::kJobs, krepis::ShardBy::kTenant}) {
    std::set<std::string> sharded;
    std::set<std::string> fingerprints;
    std::size_t counted_elsewhere = 0;
    for (std::uint32_t index = 0; index < 3; ++index) {
      auto part = krepis::plan_batch(batch, krepis::Shard{index, 3, by});
      check(part.ok(), "a shard is planned");
      for (const krepis::BatchJob& job : part->jobs) {
        check(sharded.insert(job.name).second, "shards do not overlap");
      }
      counted_elsewhere += part->other_shards;
      fingerprints.insert(part->fingerprint);
    }
    check(sharded == names, "shards together hold every job");
    check(counted_elsewhere == 2 * names.size(), "each shard counts the others' jobs");
    check(fingerprints.size() == 1, "the shards of one listing share a plan");
  }
  return 0;
}

// The batch planner's accounting, where tests/fuzz/batch_plan found it wrong: every entry of
// a tenant's folder is a job, a job's input or skipped, and shards agree on what is a job.
#include "core/batch/batch_plan.h"
#include "core/batch/batch_runner.h"
#include "core/base/module_root.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "unit/scratch_folder.h"

namespace krepis {
namespace {

namespace fs = std::filesystem;

std::size_t jobs_in_other_shards(const fs::path& batch) {
  std::size_t counted = 0;
  for (std::uint32_t index = 0; index < 2; ++index) {
    auto part = plan_batch(batch, Shard{index, 2});
    REQUIRE(part.ok());
    counted += part->other_shards;
  }
  return counted;
}

TEST_CASE("a folder named like a job is a library, and no shard counts it as a job") {
  test::ScratchFolder batch;
  fs::create_directories(batch.path / "acme" / "folder.js");
  std::ofstream(batch.path / "acme" / "real.js") << "1";
  auto plan = plan_batch(batch.path, Shard{});
  REQUIRE(plan.ok());
  REQUIRE(plan->jobs.size() == 1);
  CHECK(plan->jobs[0].name == "acme/real.js");
  CHECK(plan->skipped.empty());
  CHECK(plan->libraries == std::vector<std::string>{"acme/folder.js/"});
  // Each shard counts the jobs of the tenants it does not take: one job in all.
  CHECK(jobs_in_other_shards(batch.path) == 1);
}

TEST_CASE("a job's input that cannot be read is still its input, so the job says so") {
  test::ScratchFolder batch;
  fs::create_directories(batch.path / "acme");
  std::ofstream(batch.path / "acme" / "job.js") << "input";
  fs::create_symlink("/nonexistent", batch.path / "acme" / "job.json");
  // A folder of the input's name is not an input.
  std::ofstream(batch.path / "acme" / "other.js") << "1";
  fs::create_directory(batch.path / "acme" / "other.json");
  auto plan = plan_batch(batch.path, Shard{});
  REQUIRE(plan.ok());
  REQUIRE(plan->jobs.size() == 2);
  CHECK(plan->jobs[0].name == "acme/job.js");
  REQUIRE(plan->jobs[0].input);
  CHECK(*plan->jobs[0].input == batch.path / "acme" / "job.json");
  CHECK(plan->jobs[1].name == "acme/other.js");
  CHECK_FALSE(plan->jobs[1].input);
  CHECK(plan->skipped.empty());
  CHECK(plan->libraries == std::vector<std::string>{"acme/other.json/"});
}

TEST_CASE("each skipped entry says why it is not a job") {
  test::ScratchFolder batch;
  fs::create_directories(batch.path / "acme" / "deeper");
  std::ofstream(batch.path / "README") << "";
  std::ofstream(batch.path / "acme" / "notes.txt") << "";
  std::ofstream(batch.path / "acme" / "lonely.json") << "{}";
  auto plan = plan_batch(batch.path, Shard{});
  REQUIRE(plan.ok());
  CHECK(plan->jobs.empty());
  auto why = [&](const std::string& name) {
    for (const SkippedEntry& entry : plan->skipped) {
      if (entry.name == name) return entry.why;
    }
    return std::string("(not skipped)");
  };
  CHECK(plan->skipped.size() == 3);
  CHECK(why("README").starts_with("a file at the top of DIR"));
  CHECK(plan->libraries == std::vector<std::string>{"acme/deeper/"});
  CHECK(why("acme/notes.txt") == "not a job (.js, .mjs) or a job's input (.json)");
  CHECK(why("acme/lonely.json") == "an input without its job (lonely.js or lonely.mjs)");
}

}  // namespace
}  // namespace krepis

namespace krepis {
namespace {

TEST_CASE("a planned job reaches its worker as paths: the parent reads no job file") {
  test::ScratchFolder batch;
  fs::create_directories(batch.path / "acme" / "lib");
  std::ofstream(batch.path / "acme" / "job.mjs") << "export default 1";
  std::ofstream(batch.path / "acme" / "job.json") << "{}";
  auto plan = plan_batch(batch.path, Shard{});
  REQUIRE(plan.ok());
  REQUIRE(plan->jobs.size() == 1);
  TenantSpec tenant;
  tenant.id = "acme";
  Job job = BatchRunner::job_for(plan->jobs[0], tenant, false,
                                 module_root_path(plan->jobs[0].script.parent_path()));
  CHECK(job.source.empty());
  CHECK_FALSE(job.input_json.has_value());
  CHECK(job.script_file == (batch.path / "acme" / "job.mjs").string());
  CHECK(job.input_file == (batch.path / "acme" / "job.json").string());
  CHECK(job.module);
  CHECK(job.module_root_name == "acme");
  CHECK(job.module_root == fs::absolute(batch.path / "acme").lexically_normal().string());
  CHECK(job.entry_path == "job.mjs");
}

}  // namespace
}  // namespace krepis

// A batch job's files, read where the job runs: limits, symlinks, and what a denial says.
#include "core/base/job_files.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "unit/scratch_folder.h"

namespace krepis {
namespace {

namespace fs = std::filesystem;

struct Files {
  test::ScratchFolder folder{"krepis-job-files"};
  TenantSpec tenant;
  JobFolder job_folder;
  Files() {
    tenant.id = "t";
    tenant.max_script_bytes = 1024;
    tenant.max_input_bytes = 16;
    std::ofstream(folder.path / "job.js") << "input.n + 1";
    std::ofstream(folder.path / "job.json") << R"({"n": 41})";
  }
  Job job(const std::string& script, const std::string& input = "") const {
    Job job{"t", "t/job.js", {}, std::nullopt, std::chrono::milliseconds(100)};
    job.script_file = (folder.path / script).string();
    if (!input.empty()) job.input_file = (folder.path / input).string();
    return job;
  }
};

TEST_CASE_FIXTURE(Files, "a job's files are read into it, the input named for its errors") {
  Job loaded = job("job.js", "job.json");
  REQUIRE(load_job_files(loaded, tenant, job_folder).ok());
  CHECK(loaded.source == "input.n + 1");
  CHECK(loaded.input_json == R"({"n": 41})");
  CHECK(loaded.input_name == "input " + (folder.path / "job.json").string());
  Job carried{"t", "-e", "1", std::nullopt, std::chrono::milliseconds(100)};
  CHECK(load_job_files(carried, tenant, job_folder).ok());  // nothing to read
  CHECK(carried.source == "1");
}

TEST_CASE_FIXTURE(Files, "files over the tier's limits are refused by size, naming the key") {
  std::ofstream(folder.path / "big.json") << std::string(17, ' ');
  Job big_input = job("job.js", "big.json");
  Result<Done> refused = load_job_files(big_input, tenant, job_folder);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.starts_with("input " + (folder.path / "big.json").string()));
  CHECK(refused.error().message.ends_with("(the tier's max_input_mb = 0)"));
  fs::resize_file(folder.path / "job.js", 1025);
  Job big_script = job("job.js");
  CHECK(load_job_files(big_script, tenant, job_folder).error().message.find("max_script_mb") !=
        std::string::npos);
}

TEST_CASE_FIXTURE(Files, "a symlink is never followed to a job or an input") {
  fs::create_symlink("/etc/passwd", folder.path / "link.js");
  Job linked = job("link.js");
  Result<Done> refused = load_job_files(linked, tenant, job_folder);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("is a symlink") != std::string::npos);
  CHECK(linked.source.empty());
  // An input too, named as an input.
  std::ofstream(folder.path / "job.js") << "1";
  fs::create_symlink("/etc/passwd", folder.path / "link.json");
  Job linked_input = job("job.js", "link.json");
  refused = load_job_files(linked_input, tenant, job_folder);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message ==
        "input " + (folder.path / "link.json").string() +
            ": is a symlink; jobs and inputs must be regular files");
  CHECK_FALSE(linked_input.input_json);
}

TEST_CASE_FIXTURE(Files, "files are opened in their folder, held open while jobs come from it") {
  fs::create_directory(folder.path / "b");
  std::ofstream(folder.path / "b" / "job.js") << "2";
  Job first = job("job.js", "job.json");
  REQUIRE(load_job_files(first, tenant, job_folder).ok());
  Job other = job("b/job.js");
  REQUIRE(load_job_files(other, tenant, job_folder).ok());
  CHECK(other.source == "2");
  // The folder moves, and another takes its path: the next job is read from the folder the
  // last one came from, as it was listed, not from whatever the path names meanwhile.
  fs::rename(folder.path / "b", folder.path / "c");
  fs::create_directory(folder.path / "b");
  std::ofstream(folder.path / "b" / "job.js") << "3";
  Job held = job("b/job.js");
  REQUIRE(load_job_files(held, tenant, job_folder).ok());
  CHECK(held.source == "2");
  // The held folder removed and made anew: its files are found by their path again.
  fs::remove_all(folder.path / "c");
  fs::create_directory(folder.path / "c");
  std::ofstream(folder.path / "c" / "job.js") << "4";
  fs::rename(folder.path / "b", folder.path / "d");
  fs::rename(folder.path / "c", folder.path / "b");
  Job remade = job("b/job.js");
  REQUIRE(load_job_files(remade, tenant, job_folder).ok());
  CHECK(remade.source == "4");
  fs::rename(folder.path / "b", folder.path / "c");
  fs::rename(folder.path / "d", folder.path / "b");
  // Another folder's job opens that one; coming back opens the path anew.
  Job first_again = job("job.js");
  REQUIRE(load_job_files(first_again, tenant, job_folder).ok());
  Job anew = job("b/job.js");
  REQUIRE(load_job_files(anew, tenant, job_folder).ok());
  CHECK(anew.source == "3");
}

TEST_CASE_FIXTURE(Files, "a folder that cannot be opened is said as the whole path's open says it") {
  Job missing = job("nowhere/job.js");
  CHECK(load_job_files(missing, tenant, job_folder).error().message ==
        (folder.path / "nowhere/job.js").string() + ": not found");
  Job through_a_file = job("job.js/job.js");
  CHECK(load_job_files(through_a_file, tenant, job_folder).error().message ==
        (folder.path / "job.js/job.js").string() + ": not found (a part of the path is not a folder)");
  Job the_folder = job("");
  CHECK(load_job_files(the_folder, tenant, job_folder).error().message.ends_with(
      ": is a directory, not a file"));
  // And after those, a good job still reads.
  Job good = job("job.js");
  REQUIRE(load_job_files(good, tenant, job_folder).ok());
  CHECK(good.source == "input.n + 1");
}

}  // namespace
}  // namespace krepis

// `krepis batch --resume FILE`: a batch killed halfway and run again reports each job exactly
// once in FILE, a last line cut mid-write is dropped and its job runs again, and a file that
// is not a batch's record, or is stdout's own, is refused. `--out DIR`: each job's report as
// DIR/<tenant>/<job>.json, whole, never outside DIR, and counted as done by --resume.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "e2e/krepis_process.h"

namespace krepis::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct ResumableBatch {
  fs::path root = temp_folder();
  fs::path dir = root / "jobs";
  fs::path manifest = root / "tenants.toml";
  fs::path record = root / "record.jsonl";
  static constexpr int kJobs = 30;

  ResumableBatch() {
    write_file(manifest, "[tenants.a]\ndeadline_ms = 5000\n[tenants.b]\ndeadline_ms = 5000\n");
    for (int i = 0; i < kJobs; ++i) {
      // Slow enough that a kill lands halfway, far from any deadline.
      write_file(dir / (i % 2 == 0 ? "a" : "b") / fmt::format("{:02}.js", i),
                 "const t = Date.now(); while (Date.now() - t < 30) {} 'done'");
    }
  }
  std::vector<std::string> args() const {
    return {"batch", "--json", "--jobs", "1", "--tenants", manifest.string(), "--resume",
            record.string(), dir.string()};
  }
  // script -> times reported in the record; the record's lines that are no report
  // (summaries) counted apart.
  std::map<std::string, int> reported(int& summaries) const {
    std::map<std::string, int> times;
    std::ifstream file(record);
    summaries = 0;
    for (std::string line; std::getline(file, line);) {
      // A kill may cut the last line as it is written (no newline after it): resuming drops
      // it. Every other line must be whole.
      json parsed = json::parse(line, nullptr, false);
      if (parsed.is_discarded() && file.eof()) break;
      REQUIRE_MESSAGE(!parsed.is_discarded(), line);
      if (parsed.contains("summary")) {
        ++summaries;
      } else {
        ++times[parsed["script"].get<std::string>()];
      }
    }
    return times;
  }
};

TEST_CASE("a batch killed halfway and resumed reports every job exactly once") {
  ResumableBatch batch;
  RunningKrepis first = start_krepis(batch.args());
  // A report out (it is in the record before it is on stdout), then a kill that leaves the
  // batch no time to finish anything.
  REQUIRE(first.wait_for_output("\n"));
  ::kill(first.pid, SIGKILL);
  first.wait();
  int summaries = 0;
  // How far it got depends on the machine, not on the test: anything from one job to all.
  const std::size_t before = batch.reported(summaries).size();
  CHECK(before >= 1);

  ProcessResult resumed = run_krepis(batch.args());
  CHECK(resumed.exit_status == 0);
  // Only the jobs without a report ran now (a summary line alone when none was left).
  CHECK(resumed.json_lines().size() == ResumableBatch::kJobs - before + 1);
  CHECK(resumed.json_lines().back()["summary"]["already_reported"] == before);

  std::map<std::string, int> times = batch.reported(summaries);
  CHECK(times.size() == static_cast<std::size_t>(ResumableBatch::kJobs));
  for (const auto& [script, count] : times) CHECK_MESSAGE(count == 1, script);
  CHECK(summaries == 0);  // the record holds reports only: summaries go to stdout
  ProcessResult summarized = run_krepis({"summarize", "--json", batch.record.string()});
  CHECK(summarized.json_lines().back()["summary"]["jobs"] == ResumableBatch::kJobs);

  // Once all are done, running it again runs nothing and says so.
  ProcessResult again = run_krepis(batch.args());
  CHECK(again.exit_status == 0);
  CHECK(again.err.find("every job is reported there already; nothing to run") !=
        std::string::npos);
  CHECK(batch.reported(summaries).size() == static_cast<std::size_t>(ResumableBatch::kJobs));
}

TEST_CASE("a last line cut mid-write is dropped, and its job runs again") {
  ResumableBatch batch;
  ProcessResult whole = run_krepis(batch.args());
  REQUIRE(whole.exit_status == 0);
  // Keep two reports, and half of a third, as a kill mid-write would leave them.
  std::istringstream lines(read_all(batch.record));
  std::string first, second, third;
  std::getline(lines, first);
  std::getline(lines, second);
  std::getline(lines, third);
  {
    std::ofstream cut(batch.record, std::ios::trunc);
    cut << first << '\n' << second << '\n' << third.substr(0, third.size() / 2);
  }
  ProcessResult resumed = run_krepis(batch.args());
  CHECK(resumed.exit_status == 0);
  CHECK(resumed.err.find("dropped its last line, cut as it was written") != std::string::npos);
  int summaries = 0;
  std::map<std::string, int> times = batch.reported(summaries);  // every line whole again
  CHECK(times.size() == static_cast<std::size_t>(ResumableBatch::kJobs));
  for (const auto& [script, count] : times) CHECK_MESSAGE(count == 1, script);
  // The cut line's job ran again, now.
  const std::string cut_job = json::parse(third)["script"].get<std::string>();
  bool ran_again = false;
  for (const json& line : resumed.json_lines()) {
    ran_again = ran_again || (line.contains("script") && line["script"] == cut_job);
  }
  CHECK(ran_again);
  CHECK(resumed.json_lines().back()["summary"]["already_reported"] == 2);
}

TEST_CASE("--resume refuses a file that is no batch's record, and stdout's own file") {
  ResumableBatch batch;
  write_file(batch.record, "{\"summary\": {}}\nnot json at all\n");
  ProcessResult garbage = run_krepis(batch.args());
  CHECK(garbage.exit_status == 2);
  CHECK(garbage.err.find("--resume " + batch.record.string() +
                         ":2: neither a report nor a summary line") != std::string::npos);
  CHECK(read_all(batch.record) == "{\"summary\": {}}\nnot json at all\n");  // left as it was

  write_file(batch.record, "");
  RunningKrepis same =
      start_krepis(batch.args(), SpawnOptions{.stdin_path = "/dev/null",
                                              .stdout_path = batch.record.string()});
  ProcessResult refused = same.wait();
  CHECK(refused.exit_status == 2);
  CHECK(refused.err.find("it is stdout's file too") != std::string::npos);
}

TEST_CASE("--resume refuses another shard's record, which would run jobs twice") {
  ResumableBatch batch;
  std::vector<std::string> shard0 = batch.args();
  shard0.insert(shard0.end() - 1, {"--shard", "0/2"});
  CHECK(run_krepis(shard0).exit_status == 0);
  const std::string recorded = read_all(batch.record);
  std::vector<std::string> shard1 = batch.args();
  shard1.insert(shard1.end() - 1, {"--shard", "1/2"});
  ProcessResult refused = run_krepis(shard1);
  CHECK(refused.exit_status == 2);
  CHECK(refused.err.find("of jobs another shard runs") != std::string::npos);
  CHECK(refused.err.find("scontrol requeue") != std::string::npos);
  CHECK(read_all(batch.record) == recorded);  // left as it was
  // A job deleted since it was recorded is no reason to refuse: nothing runs twice for it.
  const std::string whole_record = (batch.root / "whole.jsonl").string();
  std::vector<std::string> whole = batch.args();
  whole[whole.size() - 2] = whole_record;
  CHECK(run_krepis(whole).exit_status == 0);
  fs::remove(batch.dir / "a" / "00.js");
  CHECK(run_krepis(whole).exit_status == 0);
}

TEST_CASE("a resumed batch exits with the worst status of all its jobs, recorded ones too") {
  ResumableBatch batch;
  write_file(batch.dir / "a" / "00.js", "throw new Error('recorded failure')");
  ProcessResult first = run_krepis(batch.args());
  CHECK(first.exit_status == 1);
  ProcessResult again = run_krepis(batch.args());
  CHECK(again.exit_status == 1);
}

TEST_CASE("--out writes each job's report whole as DIR/<tenant>/<job>.json") {
  ResumableBatch batch;
  // A module beside a script of the same name gets a file of its own: 00.mjs.json; and so
  // does a script named like the module's file: 00.mjs.js.json.
  write_file(batch.dir / "a" / "00.mjs", "export default 'module'");
  write_file(batch.dir / "a" / "00.mjs.js", "'script'");
  const fs::path out = batch.root / "results";
  ProcessResult run = run_krepis({"batch", "--json", "--tenants", batch.manifest.string(),
                                  "--out", out.string(), batch.dir.string()});
  CHECK(run.exit_status == 0);
  std::map<std::string, json> lines = reports_by_script(run);
  REQUIRE(lines.size() == static_cast<std::size_t>(ResumableBatch::kJobs) + 2);
  for (const auto& [script, line] : lines) {
    const std::string tenant = script.substr(0, script.find('/'));
    const std::string job = script.substr(script.find('/') + 1);
    const bool stripped = job.ends_with(".js") && !job.ends_with(".mjs.js");
    const fs::path file = out / tenant / ((stripped ? job.substr(0, job.size() - 3) : job) + ".json");
    REQUIRE_MESSAGE(fs::is_regular_file(file), file);
    CHECK(json::parse(read_all(file)) == line);
  }
  // Nothing else: no temporary file left behind.
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(out)) files += entry.is_regular_file();
  CHECK(files == static_cast<std::size_t>(ResumableBatch::kJobs) + 2);
  CHECK(json::parse(read_all(out / "a" / "00.mjs.json"))["result"] == "module");
  CHECK(json::parse(read_all(out / "a" / "00.mjs.js.json"))["result"] == "script");
}

TEST_CASE("--out never writes outside DIR: a symlink planted there is refused") {
  ResumableBatch batch;
  const fs::path out = batch.root / "results";
  const fs::path elsewhere = batch.root / "elsewhere";
  fs::create_directories(out);
  fs::create_directories(elsewhere);
  fs::create_directory_symlink(elsewhere, out / "a");
  ProcessResult run = run_krepis({"batch", "--json", "--jobs", "1", "--tenants",
                                  batch.manifest.string(), "--out", out.string(),
                                  batch.dir.string()});
  CHECK(run.exit_status == 74);
  CHECK(run.err.find("cannot use the folder a: not a folder (a symlink is refused)") !=
        std::string::npos);
  CHECK(fs::is_empty(elsewhere));
  // Beneath the batch's own folder, results would pass for jobs and inputs.
  ProcessResult inside = run_krepis({"batch", "--tenants", batch.manifest.string(), "--out",
                                     (batch.dir / "a" / "res").string(), batch.dir.string()});
  CHECK(inside.exit_status == 2);
  CHECK(inside.err.find("it is in the batch's folder") != std::string::npos);
  CHECK_FALSE(fs::exists(batch.dir / "a" / "res"));  // refused before anything was made
}

TEST_CASE("with --resume, a job whose result file is whole counts as done, a broken one runs") {
  ResumableBatch batch;
  const fs::path out = batch.root / "results";
  // Results of two jobs from an earlier run: one whole, one cut.
  ProcessResult earlier = run_krepis({"batch", "--json", "--tenants", batch.manifest.string(),
                                      "--out", out.string(), batch.dir.string()});
  REQUIRE(earlier.exit_status == 0);
  fs::remove_all(out / "b");
  const std::string whole = read_all(out / "a" / "02.json");
  fs::remove_all(out / "a");
  write_file(out / "a" / "02.json", whole);
  write_file(out / "a" / "04.json", whole.substr(0, whole.size() / 2));
  ProcessResult resumed = run_krepis({"batch", "--json", "--tenants", batch.manifest.string(),
                                      "--resume", batch.record.string(), "--out", out.string(),
                                      batch.dir.string()});
  CHECK(resumed.exit_status == 0);
  std::map<std::string, json> ran = reports_by_script(resumed);
  CHECK(ran.size() == static_cast<std::size_t>(ResumableBatch::kJobs) - 1);
  CHECK(ran.count("a/02.js") == 0);
  CHECK(ran.count("a/04.js") == 1);
  CHECK(resumed.json_lines().back()["summary"]["already_reported"] == 1);
  CHECK(json::parse(read_all(out / "a" / "04.json"))["status"] == "ok");
  // The job done in DIR is in the record too: every job once.
  int summaries = 0;
  std::map<std::string, int> times = batch.reported(summaries);
  CHECK(times.size() == static_cast<std::size_t>(ResumableBatch::kJobs));
  CHECK(times["a/02.js"] == 1);
}

TEST_CASE("one batch at a time per record, and text that is no record is left alone") {
  ResumableBatch batch;
  RunningKrepis first = start_krepis(batch.args());
  REQUIRE(first.wait_for_output("\n"));  // it holds the record now
  ProcessResult second = run_krepis(batch.args());
  CHECK(second.exit_status == 2);
  CHECK(second.err.find("another krepis batch is using it") != std::string::npos);
  ::kill(first.pid, SIGKILL);
  first.wait();

  const fs::path notes = batch.root / "notes.txt";
  write_file(notes, "important notes, no newline");
  std::vector<std::string> args = batch.args();
  args[args.size() - 2] = notes.string();
  ProcessResult refused = run_krepis(args);
  CHECK(refused.exit_status == 2);
  CHECK(read_all(notes) == "important notes, no newline");
}

TEST_CASE("--out replaces a planted hard link rather than writing through it, and keeps odd names") {
  ResumableBatch batch;
  const fs::path out = batch.root / "results";
  const fs::path outside = batch.root / "outside.txt";
  write_file(outside, "keep me");
  fs::create_directories(out / "a");
  fs::create_hard_link(outside, out / "a" / "00.json");
  // A tenant folder whose name is not UTF-8 (its jobs are denied: no manifest names it), and
  // a job name near the longest a file may have: their results keep the names' bytes.
  const std::string odd = "t\xff";
  const std::string long_job(240, 'x');
  write_file(batch.dir / odd / "j.js", "1");
  write_file(batch.dir / "a" / (long_job + ".js"), "1");
  ProcessResult run = run_krepis({"batch", "--json", "--tenants", batch.manifest.string(),
                                  "--out", out.string(), batch.dir.string()});
  CHECK(run.exit_status == 4);
  CHECK(read_all(outside) == "keep me");
  CHECK(json::parse(read_all(out / odd / "j.json"))["status"] == "denied");
  CHECK(json::parse(read_all(out / "a" / (long_job + ".json")))["status"] == "ok");
  CHECK(json::parse(read_all(out / "a" / "00.json"))["script"] == "a/00.js");
}

}  // namespace
}  // namespace krepis::test

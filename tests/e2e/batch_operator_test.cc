// `krepis batch` for an operator: --quiet and --failures-only print only what failed, tenants
// the manifest lacks are named once before their jobs, skipped files are named with
// --verbose (nested folders explained without it), and runs cut by the tier's output cap are
// marked in their reports and counted in the summary.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <vector>

#include "e2e/krepis_process.h"

namespace krepis::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Two tenants, one of which logs past its tier's small output cap, one failing job, one
// tenant folder the manifest lacks, and files that are not jobs.
struct OperatorBatch {
  fs::path root = temp_folder();
  fs::path dir = root / "jobs";
  fs::path manifest = root / "tenants.toml";

  OperatorBatch() {
    write_file(manifest, R"([tiers.chatty]
max_output_lines = 3
max_output_kb = 1
[tenants.acme]
tier = "chatty"
deadline_ms = 5000
[tenants.beta]
deadline_ms = 5000
)");
    write_file(dir / "acme" / "logs.js", "for (let i = 0; i < 5; i++) console.log(i); 'done'");
    write_file(dir / "acme" / "big.js", "console.log('x'.repeat(2000)); 1");
    write_file(dir / "acme" / "quiet.js", "console.log('one'); 1");
    write_file(dir / "beta" / "fine.js", "1");
    write_file(dir / "beta" / "fails.js", "throw new Error('boom')");
    write_file(dir / "acmee" / "typo.js", "1");
    write_file(dir / "README", "not a job");
    write_file(dir / "beta" / "lonely.json", "{}");
    write_file(dir / "beta" / "deeper" / "hidden.js", "1");
  }
  ProcessResult run(std::vector<std::string> extra) const {
    std::vector<std::string> args{"batch", "--jobs", "1", "--tenants", manifest.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(dir.string());
    return run_krepis(args);
  }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST_CASE("--quiet and --failures-only print the failed jobs and the summary only") {
  OperatorBatch batch;
  for (const std::string flag : {"--quiet", "-q", "--failures-only"}) {
    CAPTURE(flag);
    ProcessResult human = batch.run({flag});
    CHECK(human.exit_status == 4);  // the unknown tenant's job is denied
    CHECK(human.out.find("error   beta/fails.js") != std::string::npos);
    CHECK(human.out.find("denied  acmee/typo.js") != std::string::npos);
    CHECK(human.out.find("\nok ") == std::string::npos);
    CHECK_FALSE(human.out.starts_with("ok "));
    CHECK(human.out.find("\nTENANT") != std::string::npos);
    ProcessResult json_run = batch.run({flag, "--json"});
    CHECK(json_run.exit_status == 4);
    std::vector<json> lines = json_run.json_lines();
    REQUIRE(lines.size() == 3);
    CHECK(lines[0]["status"] == "denied");
    CHECK(lines[1]["script"] == "beta/fails.js");
    // The summary still counts every job.
    CHECK(lines[2]["summary"]["jobs"] == 6);
    CHECK(lines[2]["summary"]["counts"]["ok"] == 4);
  }
}

TEST_CASE("a tenant folder the manifest lacks is named once, up front, and its jobs denied") {
  OperatorBatch batch;
  write_file(batch.dir / "acmee" / "typo2.js", "1");
  ProcessResult run = batch.run({"--json"});
  const std::string said = "krepis: " + (batch.dir / "acmee").string() +
                           ": unknown tenant 'acmee' (did you mean 'acme'?): " +
                           batch.manifest.string() +
                           " defines acme, beta; its 2 jobs will be reported denied\n";
  CHECK(run.err.find(said) != std::string::npos);
  CHECK(run.err.find("acmee", run.err.find(said) + said.size()) == std::string::npos);
  std::map<std::string, json> reports = reports_by_script(run);
  CHECK(reports["acmee/typo.js"]["status"] == "denied");
  CHECK(reports["acmee/typo2.js"]["status"] == "denied");
}

TEST_CASE("--verbose names each skipped file and why, without it nothing is said of them") {
  OperatorBatch batch;
  ProcessResult plain = batch.run({"--json"});
  const std::string nested = (batch.dir / "beta" / "deeper").string() + "/";
  CHECK(plain.err.find("skipped") == std::string::npos);
  CHECK(plain.json_lines().back()["summary"]["skipped_files"] == 2);  // the folder is a library

  ProcessResult verbose = batch.run({"--json", "--verbose"});
  const auto said = [&](const std::string& line) {
    return verbose.err.find("krepis: skipped " + line + "\n") != std::string::npos;
  };
  CHECK(said((batch.dir / "README").string() +
             ": a file at the top of DIR: jobs are in tenant folders, DIR/<tenant>/<job>.js or .mjs"));
  CHECK(said((batch.dir / "beta" / "lonely.json").string() +
             ": an input without its job (lonely.js or lonely.mjs)"));
  CHECK(verbose.err.find("krepis: library " + nested +
                         ": what the tenant's jobs may import, not jobs (jobs are "
                         "DIR/<tenant>/<job>.js or .mjs)\n") != std::string::npos);
}

TEST_CASE("a batch of a folder with only files that are not jobs fails and says why") {
  fs::path dir = temp_folder();
  write_file(fs::path(dir) / "a" / "notes.txt", "");
  write_file(fs::path(dir) / "a" / "sub" / "job.js", "1");
  ProcessResult run = run_krepis({"batch", dir});
  CHECK(run.exit_status == 2);
  CHECK(run.out.empty());
  CHECK(run.err.find("no jobs here (a job is DIR/<tenant>/<job>.js or .mjs); 1 file skipped, "
                     "--verbose names them; folders in a tenant's folder hold what its jobs "
                     "import, never jobs (a/sub/)\n") != std::string::npos);
}

TEST_CASE("runs cut by the tier's output cap are marked and counted") {
  OperatorBatch batch;
  ProcessResult json_run = batch.run({"--json"});
  std::map<std::string, json> reports = reports_by_script(json_run);
  // Five lines past a cap of three: three kept, and the note of the two dropped.
  const json& logs = reports["acme/logs.js"];
  CHECK(logs["output_truncated"] == true);
  CHECK(logs["output"] == json::array({"0", "1", "2",
                                       "[krepis: output truncated: 2 more entries dropped past "
                                       "the cap of 3 lines / 1024 bytes]"}));
  CHECK(logs["result"] == "done");
  // 2000 bytes past a cap of 1 KiB: nothing of it kept.
  CHECK(reports["acme/big.js"]["output_truncated"] == true);
  CHECK(reports["acme/big.js"]["output"].size() == 1);
  // Under the cap: no flag at all.
  CHECK_FALSE(reports["acme/quiet.js"].contains("output_truncated"));
  CHECK_FALSE(reports["beta/fine.js"].contains("output_truncated"));
  const json summary = json_run.json_lines().back()["summary"];
  CHECK(summary["output_truncated"] == 2);

  // Human mode: a marked line under the run, and the summary's count.
  ProcessResult human = batch.run({});
  CHECK(human.out.find("2 runs cut at the output cap") != std::string::npos);

  // summarize counts them from the report lines.
  const std::string lines = temp_file("runs.jsonl", json_run.out);
  ProcessResult summarized = run_krepis({"summarize", "--json", lines});
  CHECK(summarized.json_lines().back()["summary"]["output_truncated"] == 2);
}

TEST_CASE("krepis run marks a cut run under its usage line, and --json says output_truncated") {
  const std::string manifest =
      temp_file("tenants.toml", "[tiers.t]\nmax_output_lines = 2\n[tenants.a]\ntier = \"t\"\n");
  const std::string code = "for (let i = 0; i < 4; i++) console.log(i); 7";
  ProcessResult human = run_krepis({"run", "--tenants", manifest, "--tenant", "a", "-e", code});
  CHECK(human.exit_status == 0);
  std::vector<std::string> lines = lines_of(human.out);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == "0");
  CHECK(lines[1] == "1");
  CHECK(lines[2].starts_with("ok      -e  a  wall "));
  CHECK(lines[3] == "        result: 7");
  CHECK(lines[4] == "        output truncated: past the tier's max_output_lines or max_output_kb");
  // As it happens, on stderr with the script's warnings.
  CHECK(human.err == "[krepis: output cap reached; further output is dropped]\n");
  ProcessResult json_run =
      run_krepis({"run", "--json", "--tenants", manifest, "--tenant", "a", "-e", code});
  json report = json_run.json_lines().at(0);
  CHECK(report["output_truncated"] == true);
  CHECK(report["output"].size() == 3);
}

}  // namespace
}  // namespace krepis::test

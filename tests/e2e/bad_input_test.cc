// The catalogue of bad input: what users and tenants can hand krepis, and what each gets. Every
// row is a clear message that names the thing, a defined exit status, and the runner alive
// (an exit status, never a signal); where a batch holds other jobs, none of them is lost.
//
// Covered in other files, and part of this catalogue:
//   - 10,000 tenants in one manifest: tenants_test.cc "a manifest of 10,000 tenants loads";
//   - stdout closed early: batch_test.cc "a batch whose stdout is full says so and exits 74"
//     and "...reader that stops reading", run_command_test.cc "a report that cannot be
//     written is never silent";
//   - a manifest nested 200,000 brackets deep, integers past 64 bits: manifest_test.cc;
//   - inputs of any bytes, manifests of any bytes, batch trees of any names: tests/fuzz/.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "e2e/krepis_process.h"

namespace krepis::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct BadInput {
  const char* what;
  // Writes the row's files into `dir` and returns the arguments to run krepis with there.
  std::function<std::vector<std::string>(const fs::path& dir)> prepare;
  int exit_status;
  const char* says;  // in stderr, or in stdout for a report
};

// Bytes no text editor would save: a NUL, bytes that are never UTF-8, a truncated sequence.
const std::string kBinary("\x00\xff\xfe[tenants.a]\n\xc3", 16);

const std::vector<BadInput> kCatalogue = {
    {"a manifest cut off mid-value",
     [](const fs::path& dir) {
       write_file(dir / "cut.toml", "[tenants.a]\nheap_mb = ");
       return std::vector<std::string>{"run", "--tenants", "cut.toml", "-e", "1"};
     },
     2, "cut.toml:2: syntax error"},
    {"a manifest of binary bytes",
     [](const fs::path& dir) {
       write_file(dir / "binary.toml", kBinary);
       return std::vector<std::string>{"run", "--tenants", "binary.toml", "-e", "1"};
     },
     2, "binary.toml: is not valid UTF-8 (byte 1 at line 1, column 2)"},
    {"an empty manifest",
     [](const fs::path& dir) {
       write_file(dir / "empty.toml", "");
       return std::vector<std::string>{"batch", "--tenants", "empty.toml", "."};
     },
     2, "empty.toml: tenants: no [tenants.ID] table"},
    {"a manifest that is a folder",
     [](const fs::path& dir) {
       fs::create_directory(dir / "folder.toml");
       return std::vector<std::string>{"run", "--tenants", "folder.toml", "-e", "1"};
     },
     2, "folder.toml: is a directory, not a file"},
    {"a manifest that does not exist",
     [](const fs::path&) {
       return std::vector<std::string>{"tenants", "--tenants", "missing.toml"};
     },
     2, "missing.toml: not found"},
    {"a tenant the manifest does not define",
     [](const fs::path& dir) {
       write_file(dir / "tenants.toml", "[tenants.acme]\n");
       return std::vector<std::string>{"run", "--tenant", "acne", "-e", "1"};
     },
     4, "unknown tenant 'acne' (did you mean 'acme'?)"},
    {"a script of random bytes",
     [](const fs::path& dir) {
       write_file(dir / "random.js", kBinary);
       return std::vector<std::string>{"run", "random.js"};
     },
     4, "random.js: is not valid UTF-8 (byte 1 at line 1, column 2)"},
    {"a script of random text",
     [](const fs::path& dir) {
       write_file(dir / "text.js", "\n\u00e9\u4e2d\u0f00 ]][[ \u2028 @#\n");
       return std::vector<std::string>{"run", "text.js"};
     },
     1, "text.js:2:"},
    {"a 100 MB script",
     [](const fs::path& dir) {
       // Sparse: refused on its size, before a byte of it is read.
       write_file(dir / "huge.js", "");
       fs::resize_file(dir / "huge.js", 100 * 1024 * 1024);
       return std::vector<std::string>{"run", "huge.js"};
     },
     4, "huge.js: is 104857600 bytes, over the limit of 67108864 bytes"},
    {"a script that is a folder",
     [](const fs::path& dir) {
       fs::create_directory(dir / "folder.js");
       return std::vector<std::string>{"run", "folder.js"};
     },
     4, "folder.js: is a directory, not a file"},
    {"a script that is a device that never ends",
     [](const fs::path&) {
       return std::vector<std::string>{"run", "/dev/zero"};
     },
     4, "/dev/zero: is not a regular file"},
    {"an input with a NUL byte in it",
     [](const fs::path& dir) {
       write_file(dir / "nul.json", std::string("{\"a\": 1}\0", 9));
       return std::vector<std::string>{"run", "--input", "nul.json", "-e", "input"};
     },
     2, "nul.json: not valid JSON at line 1, column 9: a NUL byte"},
    {"an input with a number past a double, which JSON.parse reads as Infinity",
     [](const fs::path& dir) {
       write_file(dir / "big.json", "[1e999]");
       return std::vector<std::string>{"run", "--input", "big.json", "-e",
                                       "String(input[0] === Infinity)"};
     },
     0, "true"},
    {"a batch folder that does not exist",
     [](const fs::path&) {
       return std::vector<std::string>{"batch", "no-such-jobs"};
     },
     2, "no-such-jobs: no such folder"},
    {"a batch folder that is a file",
     [](const fs::path& dir) {
       write_file(dir / "jobs", "");
       return std::vector<std::string>{"batch", "jobs"};
     },
     2, "jobs: not a folder"},
    {"a number of jobs out of range",
     [](const fs::path&) {
       return std::vector<std::string>{"batch", "--jobs", "0", "."};
     },
     2, "--jobs 0: must be between 1 and 256"},
};

TEST_CASE("bad input, catalogued: a clear message and a defined status for each") {
  for (const BadInput& row : kCatalogue) {
    CAPTURE(row.what);
    const fs::path dir = temp_folder();
    const std::vector<std::string> args = row.prepare(dir);
    ProcessResult run = run_krepis_in(dir.string(), args);
    INFO("stderr: " << run.err << "\nstdout: " << run.out);
    CHECK(run.exit_status == row.exit_status);
    CHECK((run.err.find(row.says) != std::string::npos ||
           run.out.find(row.says) != std::string::npos));
  }
}

TEST_CASE("bad input, catalogued: job names with spaces, newlines, non-ASCII and non-UTF-8") {
  const fs::path dir = temp_folder();
  const std::vector<std::string> names = {"with space.js",   "new\nline.js", "caf\u00e9 \u4e2d.js",
                                          "bad\xff byte.js", "-dash.js",     "'quote\".js"};
  for (const std::string& name : names) write_file(dir / "jobs" / "default" / name, "'ran'");
  ProcessResult run = run_krepis({"batch", "--json", (dir / "jobs").string()});
  INFO(run.err);
  CHECK(run.exit_status == 0);
  std::map<std::string, json> reports = reports_by_script(run);
  CHECK(reports.size() == names.size());
  for (const std::string shown :
       {"default/with space.js", "default/new\nline.js", "default/caf\u00e9 \u4e2d.js",
        "default/bad\\xFF byte.js", "default/-dash.js", "default/'quote\".js"}) {
    CAPTURE(shown);
    REQUIRE(reports.count(shown) == 1);
    CHECK(reports[shown]["result"] == "ran");
  }
  // Human output keeps each report on one line, whatever the name holds: a name with a
  // newline could otherwise print a line that looks like another job's report.
  ProcessResult human = run_krepis({"batch", (dir / "jobs").string()});
  CHECK(human.exit_status == 0);
  CHECK(human.out.find("ok      default/new\\nline.js  ") != std::string::npos);
  CHECK(human.out.find("\nline.js") == std::string::npos);
  // Nor can a tenant's error message drive the operator's terminal.
  write_file(dir / "jobs" / "default" / "escape.js", "throw new Error('\\x1b[2J\\x1b[31mred')");
  ProcessResult escaped = run_krepis({"batch", (dir / "jobs").string()});
  CHECK(escaped.out.find("Uncaught Error: \\x1B[2J\\x1B[31mred") != std::string::npos);
  CHECK(escaped.out.find('\x1b') == std::string::npos);
}

// Waits until the file exists: a job creates it when it reaches a point the test waits for.
bool appears(const fs::path& path) {
  for (int i = 0; i < 60'000 / 5; ++i) {
    if (fs::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST_CASE("bad input, catalogued: a manifest edited and a job folder deleted during a batch") {
  // The first job (tenant "a-gate", first in the plan, --jobs 1) says it started and waits
  // for the test: meanwhile the manifest is rewritten as garbage and the folder of tenant
  // "c" deleted. The batch keeps the manifest it read; c's jobs, planned, find their files
  // gone and each says so. Every job is reported.
  const fs::path dir = temp_folder();
  write_file(dir / "tenants.toml",
             "[tiers.gate]\nops = [\"fs.read\", \"fs.write\"]\ndeadline_ms = 60000\n"
             "[tenants.a-gate]\ntier = \"gate\"\nfs_root = \"gate\"\n"
             "[tenants.b]\ndeadline_ms = 60000\n[tenants.c]\n");
  fs::create_directory(dir / "gate");
  write_file(dir / "jobs" / "a-gate" / "0.js",
             "krepis.fs.writeText('started', '1');"
             "for (;;) { try { krepis.fs.readText('go'); break; } catch (e) {} }"
             "'passed the gate'");
  for (const char* tenant : {"b", "c"}) {
    for (int i = 0; i < 3; ++i) {
      write_file(dir / "jobs" / tenant / (std::to_string(i) + ".js"), "krepis.tenant.id");
    }
  }
  RunningKrepis running = start_krepis({"batch", "--json", "--jobs", "1", "--tenants",
                                        (dir / "tenants.toml").string(), (dir / "jobs").string()});
  REQUIRE(appears(dir / "gate" / "started"));
  write_file(dir / "tenants.toml", kBinary);
  fs::remove_all(dir / "jobs" / "c");
  write_file(dir / "gate" / "go", "");
  ProcessResult run = running.wait();
  INFO(run.err);
  CHECK(run.exit_status == 4);  // denied: the worst status of the batch
  std::map<std::string, json> reports = reports_by_script(run);
  REQUIRE(reports.size() == 7);
  CHECK(reports["a-gate/0.js"]["result"] == "passed the gate");
  for (int i = 0; i < 3; ++i) {
    const std::string b = "b/" + std::to_string(i) + ".js";
    const std::string c = "c/" + std::to_string(i) + ".js";
    CHECK(reports[b]["result"] == "b");
    CHECK(reports[c]["status"] == "denied");
    CHECK(reports[c]["error"].get<std::string>().find(c + ": not found") != std::string::npos);
  }
}

}  // namespace
}  // namespace krepis::test

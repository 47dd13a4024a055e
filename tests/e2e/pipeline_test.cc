// krepis in shell pipelines: `-` and pipes as scripts and --input, --report elsewhere than
// stdout, --print for the result alone. Each test runs a real pipeline through /bin/sh (bash
// for process substitution) and checks the bytes that come out of it.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "e2e/krepis_process.h"
#include "unit/scratch_folder.h"

namespace krepis::test {
namespace {

namespace fs = std::filesystem;

struct Shell {
  int status = -1;
  std::string out;
};

// Runs `command` with bash, KREPIS standing for the binary, in `dir`; stderr is dropped
// unless the command redirects it.
Shell shell(const fs::path& dir, const std::string& command) {
  const std::string line = "cd '" + dir.string() + "' && KREPIS='" + std::string(KREPIS_BIN) +
                           "' bash -c '" + command + "' 2>/dev/null";
  Shell result;
  std::FILE* pipe = ::popen(line.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> chunk{};
  for (std::size_t n; (n = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0;) {
    result.out.append(chunk.data(), n);
  }
  const int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

struct PipelineFixture {
  ScratchFolder folder{"krepis-pipeline"};
  PipelineFixture() {
    std::ofstream(folder.path / "data.json")
        << R"({"orders": [{"id": 1, "total": 5}, {"id": 2, "total": 7}]})";
    std::ofstream(folder.path / "transform.js")
        << "({count: input.orders.length, sum: input.orders.reduce((a, o) => a + o.total, 0)})\n";
    std::ofstream(folder.path / "chatty.js")
        << "console.log('line one'); console.log('line two'); 42\n";
  }
};

TEST_CASE_FIXTURE(PipelineFixture,
                  "cat data.json | krepis run --input - -p --report=none transform.js | jq") {
  Shell jq =
      shell(folder.path,
            "cat data.json | $KREPIS run --input - -p --report=none transform.js | jq -c .sum");
  CHECK(jq.status == 0);
  CHECK(jq.out == "12\n");
  Shell raw =
      shell(folder.path, "cat data.json | $KREPIS run --input - -p --report=none transform.js");
  CHECK(raw.out == "{\"count\":2,\"sum\":12}\n");
  // A string result is printed as its text, not as JSON.
  Shell text = shell(folder.path, "$KREPIS run -p --report=none -e \"\\\"a\\tb\\nc\\\"\"");
  CHECK(text.out == "a\tb\nc\n");
}

TEST_CASE_FIXTURE(PipelineFixture,
                  "a script from stdin, and --report elsewhere, leave stdout to the script") {
  Shell script = shell(folder.path, "$KREPIS run --report=stderr - < chatty.js");
  CHECK(script.status == 0);
  CHECK(script.out == "line one\nline two\n");
  // The report went to stderr: there, not on stdout.
  Shell both = shell(folder.path, "$KREPIS run --report=stderr - < chatty.js 2>&1 >/dev/null");
  CHECK(both.out.starts_with("ok      stdin  default  wall "));
  CHECK(both.out.find("result: 42") != std::string::npos);
  // To a file, as JSON lines; none at all.
  Shell to_file =
      shell(folder.path,
            "$KREPIS run --json --report=reports.jsonl chatty.js transform.js --input data.json");
  CHECK(to_file.status == 0);
  CHECK(to_file.out.empty());
  const std::string reports = slurp(folder.path / "reports.jsonl");
  CHECK(reports.find("\"script\":\"chatty.js\"") != std::string::npos);
  CHECK(reports.find("\"result\":{\"count\":2,\"sum\":12}") != std::string::npos);
  Shell none = shell(folder.path, "$KREPIS run --report=none transform.js --input data.json");
  CHECK(none.out.empty());
}

TEST_CASE_FIXTURE(PipelineFixture,
                  "pipes are read as files are: process substitution, /dev/stdin, the size limit") {
  Shell substituted =
      shell(folder.path, "$KREPIS run --input <(cat data.json) -p --report=none transform.js");
  CHECK(substituted.out == "{\"count\":2,\"sum\":12}\n");
  Shell dev_stdin = shell(
      folder.path, "$KREPIS run -p --report=none /dev/stdin < transform.js --input data.json");
  CHECK(dev_stdin.out == "{\"count\":2,\"sum\":12}\n");
  // Past 64 MiB a pipe is refused as a file would be, and nothing runs.
  Shell huge = shell(
      folder.path,
      "head -c 70000000 /dev/zero | tr \"\\\\0\" \" \" | $KREPIS run --json - | jq -r .error");
  CHECK(huge.out == "stdin: is more than the limit of 67108864 bytes\n");
  // Bad JSON from stdin is named as stdin, with its line and column.
  Shell bad = shell(folder.path, "printf \"{\\n  oops\" | $KREPIS run --input - -e 1 2>&1");
  CHECK(bad.status == 2);
  CHECK(bad.out ==
        "krepis: --input stdin: not valid JSON at line 2, column 3: not a JSON value, in an "
        "object key (expected a string)\n");
}

TEST_CASE_FIXTURE(PipelineFixture,
                  "--report never overwrites what krepis reads, and never loses reports silently") {
  const std::string data = slurp(folder.path / "data.json");
  Shell same_as_input =
      shell(folder.path, "$KREPIS run --input data.json --report data.json transform.js 2>&1");
  CHECK(same_as_input.status == 2);
  CHECK(same_as_input.out ==
        "krepis: --report data.json: is data.json, which krepis reads: it would be overwritten\n");
  CHECK(slurp(folder.path / "data.json") == data);
  Shell same_as_script = shell(folder.path, "$KREPIS run --report transform.js transform.js 2>&1");
  CHECK(same_as_script.status == 2);
  CHECK(slurp(folder.path / "transform.js").starts_with("({count:"));
  // `--report=` with nothing after it would take the next word (a script) as the file.
  Shell empty = shell(folder.path, "$KREPIS run --report= transform.js --input data.json 2>&1");
  CHECK(empty.status == 2);
  CHECK(empty.out == "krepis: --report has no value after '='\n");
  CHECK(slurp(folder.path / "transform.js").starts_with("({count:"));
  // stdout's own file is stdout; a report lost on stderr is status 74, as on stdout.
  Shell own = shell(folder.path, "$KREPIS run --json --report=/dev/stdout -e 1 | jq -c .result");
  CHECK(own.out == "1\n");
  Shell full = shell(folder.path, "$KREPIS run --report=stderr -e 1 2>/dev/full");
  CHECK(full.status == 74);
}

TEST_CASE_FIXTURE(PipelineFixture,
                  "stdin is read once, --report must be writable, -p prints only successes") {
  Shell twice = shell(folder.path, "echo 1 | $KREPIS run --input - - 2>&1");
  CHECK(twice.status == 2);
  CHECK(twice.out ==
        "krepis: run: stdin can be read once: give `-` as one script or as --input, not both\n");
  Shell unwritable = shell(folder.path, "$KREPIS run --report=no/such/folder/r.txt -e 1 2>&1");
  CHECK(unwritable.status == 2);
  CHECK(unwritable.out == "krepis: --report no/such/folder/r.txt: its folder does not exist\n");
  Shell failed = shell(folder.path, "$KREPIS run -p --report=none -e \"throw new Error(1)\"");
  CHECK(failed.status == 1);
  CHECK(failed.out.empty());
  // The same pipe twice, however named.
  Shell pipe_twice = shell(folder.path, "echo 1 | $KREPIS run --input /dev/stdin - 2>&1");
  CHECK(pipe_twice.status == 2);
  CHECK(pipe_twice.out ==
        "krepis: run: /dev/stdin is a pipe named twice: a pipe can be read once\n");
  // -p alone: its reports go to stderr, so stdout is the result alone, as node -p's is.
  Shell alone =
      shell(folder.path, "$KREPIS run -p -e \"[undefined, 1]\"; $KREPIS run -p -e undefined");
  CHECK(alone.out == "[null,1]\nundefined\n");
  Shell mixed = shell(folder.path, "$KREPIS run -p --json --report=stdout -e 1 2>&1");
  CHECK(mixed.status == 2);
}

}  // namespace
}  // namespace krepis::test

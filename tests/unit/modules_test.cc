// ES modules on the real V8 (core/runtime/module_graph.h): results, imports confined to the
// job's folder by openat2, JSON modules, import.meta.url, a fresh graph for every run of a
// warm isolate, and the limits that bound a graph. Files are real, in a scratch folder.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "core/base/module_root.h"
#include "core/runtime/module_graph.h"
#include "core/runtime/sandbox.h"
#include "core/runtime/watchdog.h"
#include "unit/ok_result.h"
#include "unit/scratch_folder.h"
#include "unit/test_engine.h"

namespace krepis {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

struct ModuleFixture {
  test::ScratchFolder scratch{"krepis-modules"};
  fs::path root = scratch.path / "acme";
  Watchdog watchdog;
  std::unique_ptr<Sandbox> sandbox = make_sandbox(OpGrants{});

  ModuleFixture() { fs::create_directories(root / "lib"); }

  std::unique_ptr<Sandbox> make_sandbox(OpGrants grants) {
    return std::make_unique<Sandbox>(test::engine(), watchdog,
                                     SandboxConfig{64 * kMiB, 50, std::move(grants)});
  }
  void write(const std::string& path, const std::string& text) {
    fs::create_directories((root / path).parent_path());
    std::ofstream(root / path, std::ios::binary) << text;
  }
  // The job of the file at `path` beneath the root (a module unless said), as batch makes it.
  Job job(const std::string& path, bool module = true,
          milliseconds deadline = milliseconds(20'000)) {
    Job job{"acme", "acme/" + path, test::slurp(root / path), std::nullopt, deadline};
    job.module = module;
    set_module_root(job, root, "acme", path);
    return job;
  }
  // Code with no file of its own (as -e): it imports from the root.
  Job code(const std::string& source, bool module) {
    Job job{"acme", "-e", source, std::nullopt, milliseconds(20'000)};
    job.module = module;
    set_module_root(job, root, "acme", "");
    return job;
  }
  RunReport run(const Job& job) { return sandbox->run(job); }
  std::string result(const Job& job) { return test::ok_result(run(job), job.source); }
};

// Entries in one kept context of the fixture's sandbox, as the REPL runs them.
struct KeptContextSession {
  ModuleFixture& fixture;
  explicit KeptContextSession(ModuleFixture& f) : fixture(f) { fixture.sandbox->keep_context(true); }
  ~KeptContextSession() { fixture.sandbox->forget_context(); }
  std::string entry(const std::string& source) {
    Job job = fixture.code(source, false);
    job.remember_result = true;
    return test::ok_result(fixture.run(job), source);
  }
};

TEST_CASE_FIXTURE(ModuleFixture, "a module's result is its awaited default export, else none") {
  write("default.mjs", "export default await Promise.resolve({ answer: 42 });");
  RunReport with_default = run(job("default.mjs"));
  CHECK(with_default.result_json == R"({"answer":42})");
  CHECK(with_default.result_from == std::optional<std::string>("default export"));

  write("promised.mjs", "export default new Promise(r => setTimeout(() => r('later'), 1));");
  CHECK(result(job("promised.mjs")) == R"("later")");

  write("none.mjs", "export const x = 1; globalThis.done = await Promise.resolve(2);");
  RunReport without = run(job("none.mjs"));
  CHECK(without.status == RunStatus::kOk);
  CHECK(without.result_type == std::optional<std::string>("undefined"));
  CHECK(without.result_from == std::optional<std::string>("module evaluation"));

  // A classic script says nothing of where its result came from.
  write("classic.js", "6 * 7");
  RunReport classic = run(job("classic.js", false));
  CHECK(classic.result_json == "42");
  CHECK_FALSE(classic.result_from.has_value());
}

TEST_CASE_FIXTURE(ModuleFixture, "static and dynamic imports of relative files, JSON modules") {
  write("lib/helper.mjs", R"(
    import data from '../data/config.json' assert { type: 'json' };
    import { twice } from './math.js';
    export const answer = twice(data.n);
    export const url = import.meta.url;)");
  write("lib/math.js", "export const twice = x => x * 2;");
  write("data/config.json", R"({"n": 21})");
  write("job.mjs", R"(
    import { answer, url } from './lib/helper.mjs';
    const again = await import('./lib/helper.mjs');
    const json = await import('./data/config.json', { assert: { type: 'json' } });
    export default [answer, url, import.meta.url, again.answer === answer, json.default.n];)");
  CHECK(result(job("job.mjs")) == R"([42,"krepis:/lib/helper.mjs","krepis:/job.mjs",true,21])");
  // A classic script imports too, from its own folder; -e from the root.
  write("lib/classic.js", "import('./math.js').then(m => m.twice(4))");
  CHECK(result(job("lib/classic.js", false)) == "8");
  CHECK(result(code("import('./lib/math.js').then(m => m.twice(5))", false)) == "10");
  CHECK(result(code("export default import.meta.url", true)) == R"("krepis:/")");
  // import.meta.url never names the host's folder.
  CHECK(result(code("export default (await import('./lib/helper.mjs')).url", true))
            .find(root.string()) == std::string::npos);
}

TEST_CASE_FIXTURE(ModuleFixture, "imports that lead out are refused, naming the specifier and file") {
  fs::create_directories(scratch.path / "outside");
  std::ofstream(scratch.path / "outside" / "secret.mjs") << "export default 'secret'";
  std::ofstream(scratch.path / "outside.mjs") << "export default 'secret'";
  fs::create_symlink("../../outside/secret.mjs", root / "lib" / "link.mjs");
  fs::create_symlink(scratch.path / "outside", root / "lib" / "away");
  write("lib/inside.mjs", "export default 'inside'");
  fs::create_symlink("inside.mjs", root / "lib" / "alias.mjs");
  const auto error_of = [&](const std::string& import_line) {
    write("job.mjs", "const a = 1;\n" + import_line + "\nexport default a;");
    RunReport report = run(job("job.mjs"));
    CHECK(report.status == RunStatus::kError);
    return report.error.value_or("");
  };
  CHECK(error_of("import x from 'lodash';") ==
        "acme/job.mjs:2:15: Uncaught Error: cannot import 'lodash': a bare specifier (a package "
        "name): krepis has no packages; import files by a relative path ('./', '../')");
  CHECK(error_of("import x from '../outside.mjs';") ==
        "acme/job.mjs:2:15: Uncaught Error: cannot import '../outside.mjs': it climbs above the "
        "job's folder");
  CHECK(error_of("import x from '/etc/x.mjs';").find("an absolute path") != std::string::npos);
  CHECK(error_of("import x from 'file:///etc/x.mjs';").find("a file: URL") != std::string::npos);
  CHECK(error_of("import x from 'http://example.com/x.mjs';").find("a http: URL") !=
        std::string::npos);
  CHECK(error_of("import x from 'data:text/javascript,export default 1';")
            .find("a data: URL") != std::string::npos);
  // Symlinks are followed by the kernel, beneath the folder only.
  CHECK(error_of("import x from './lib/link.mjs';") ==
        "acme/job.mjs:2:15: Uncaught Error: cannot import './lib/link.mjs': 'lib/link.mjs' leads "
        "outside the job's folder");
  CHECK(error_of("import x from './lib/away/secret.mjs';").find("leads outside the job's folder") !=
        std::string::npos);
  CHECK(error_of("import x from './lib/missing.mjs';") ==
        "acme/job.mjs:2:15: Uncaught Error: cannot import './lib/missing.mjs': "
        "acme/lib/missing.mjs does not exist");
  write("job.mjs", "import x from './lib/alias.mjs'; export default x;");
  CHECK(result(job("job.mjs")) == R"("inside")");
  // Nothing hidden, whatever its extension.
  write(".config/token.json", R"({"token": "secret"})");
  CHECK(error_of("import t from './.config/token.json' assert { type: 'json' };")
            .ends_with("(hidden files and folders are never imported)"));
  // An import deep in the graph names its own file and line.
  write("lib/deep.mjs", "\n\nimport y from '../../up.mjs';");
  CHECK(error_of("import x from './lib/deep.mjs';") ==
        "acme/lib/deep.mjs:3:15: Uncaught Error: cannot import '../../up.mjs': it climbs above "
        "the job's folder");
  // import() rejects with the same words, which the script may catch.
  CHECK(result(code("import('../outside.mjs').catch(e => e.message)", false)) ==
        R"("-e:1:1: cannot import '../outside.mjs': it climbs above the job's folder")");
  CHECK(result(code("import('./lib/link.mjs').catch(e => e.constructor.name)", false)) ==
        R"("Error")");
  // JSON with the wrong assertion, or none.
  write("d.json", "{}");
  CHECK(error_of("import d from './d.json';").find("imported with assert { type: 'json' }") !=
        std::string::npos);
  CHECK(error_of("import d from './d.json' assert { type: 'css' };")
            .find("the module type 'css' is not supported") != std::string::npos);
  write("broken.json", "{\n  \"a\": 1,\n}");
  CHECK(error_of("import d from './broken.json' assert { type: 'json' };")
            .find("acme/broken.json: not valid JSON at line 3, column 1") != std::string::npos);
}

TEST_CASE_FIXTURE(ModuleFixture, "each run of a warm isolate builds its own graph") {
  write("lib/counter.mjs", R"(
    export let count = 0;
    export const shared = { list: [] };
    export function bump() { shared.list.push(++count); return count; })");
  write("job.mjs", R"(
    import { bump, shared, count } from './lib/counter.mjs';
    const before = [count, shared.list.length, typeof globalThis.leaked,
                    typeof Array.prototype.polluted, Object.prototype.polluted];
    bump();
    globalThis.leaked = shared;
    Array.prototype.polluted = () => 'polluted';
    Object.prototype.polluted = 'polluted';
    JSON.stringify = () => 'hijacked';
    export default before;)");
  for (int run_number = 0; run_number < 3; ++run_number) {
    CAPTURE(run_number);
    RunReport report = run(job("job.mjs"));
    CHECK(report.warm == (run_number > 0));
    CHECK(report.result_json == R"([0,0,"undefined","undefined",null])");
  }
  // A JSON module's object, changed by one run, is read fresh by the next.
  write("d.json", R"({"n": 1})");
  write("json.mjs", "import d from './d.json' assert { type: 'json' }; d.n++; export default d.n;");
  CHECK(result(job("json.mjs")) == "2");
  CHECK(result(job("json.mjs")) == "2");
}

TEST_CASE_FIXTURE(ModuleFixture, "cycles work, and a throwing module names its file and line") {
  write("a.mjs", "import { b } from './b.mjs'; export const a = 'a'; export const both = () => a + b;");
  write("b.mjs", "import { a } from './a.mjs'; export const b = 'b'; export const seen = () => a;");
  write("job.mjs", "import { both } from './a.mjs'; import { seen } from './b.mjs';"
                   "export default [both(), seen()];");
  CHECK(result(job("job.mjs")) == R"(["ab","a"])");
  write("lib/throws.mjs", "export const x = 1;\n\nthrow new TypeError('bad module');");
  write("uses.mjs", "import { x } from './lib/throws.mjs'; export default x;");
  RunReport thrown = run(job("uses.mjs"));
  CHECK(thrown.status == RunStatus::kError);
  CHECK(thrown.error == std::optional<std::string>(
                            "acme/lib/throws.mjs:3:7: Uncaught TypeError: bad module"));
  CHECK(thrown.stack.value_or("").find("at acme/lib/throws.mjs:3:7") != std::string::npos);
  write("syntax.mjs", "export default (;");
  write("imports_syntax.mjs", "import x from './syntax.mjs';");
  CHECK(run(job("imports_syntax.mjs")).error.value_or("").starts_with("acme/syntax.mjs:1:17: "
                                                                      "Uncaught SyntaxError"));
  // A top-level await that nothing settles ends as the unsettled rule says.
  write("never.mjs", "await new Promise(() => {}); export default 1;");
  RunReport never = run(job("never.mjs"));
  CHECK(never.status == RunStatus::kTimeout);
  CHECK(never.stopped_by == StopReason::kUnsettled);
  // One that runs forever meets the deadline.
  write("spins.mjs", "await null; for (;;) {}");
  RunReport spins = run(job("spins.mjs", true, milliseconds(100)));
  CHECK(spins.status == RunStatus::kTimeout);
  CHECK(spins.stopped_by == StopReason::kDeadline);
}

TEST_CASE_FIXTURE(ModuleFixture, "a graph is bounded: module count, file size, read quota, deadline") {
  // A chain of kMaxModules + 1 modules fails at the one past the limit.
  for (std::size_t i = 0; i <= kMaxModules; ++i) {
    write(fmt::format("chain/m{}.mjs", i),
          i == kMaxModules ? "export default 1;"
                           : fmt::format("export {{ default }} from './m{}.mjs';", i + 1));
  }
  RunReport chain = run(job("chain/m0.mjs"));
  CHECK(chain.status == RunStatus::kError);
  CHECK(chain.error.value_or("").ends_with(
      fmt::format("cannot import './m{}.mjs': the run has loaded {} modules, the most it may",
                  kMaxModules, kMaxModules)));
  // And the isolate is fine for the next run.
  write("small.mjs", "export default 'small';");
  CHECK(result(job("small.mjs")) == R"("small")");

  // A file past the tier's max_script_mb is never read.
  OpGrants small_files;
  small_files.max_module_bytes = 1 * kMiB;
  sandbox = make_sandbox(small_files);
  write("lib/big.mjs", "export default '" + std::string(kMiB, 'x') + "';");
  write("big_user.mjs", "import big from './lib/big.mjs'; export default big.length;");
  RunReport big = run(job("big_user.mjs"));
  CHECK(big.error.value_or("").ends_with(
      "cannot import './lib/big.mjs': acme/lib/big.mjs is larger than the tier's max_script_mb "
      "(1 MB)"));
  CHECK(big.heap_peak_bytes < kMiB);

  // Modules count toward the run's read quota, with the fs ops' reads.
  OpGrants small_quota;
  small_quota.read_quota_bytes = 3 * kMiB;
  sandbox = make_sandbox(small_quota);
  for (int i = 0; i < 4; ++i) {
    write(fmt::format("lib/part{}.mjs", i), "export default '" + std::string(kMiB, 'x') + "';");
  }
  write("parts.mjs", "import a from './lib/part0.mjs'; import b from './lib/part1.mjs';"
                     "import c from './lib/part2.mjs'; import d from './lib/part3.mjs';"
                     "export default 1;");
  RunReport quota = run(job("parts.mjs"));
  CHECK(quota.error.value_or("").ends_with(
      "cannot import './lib/part2.mjs': reading acme/lib/part2.mjs would pass the run's read "
      "quota (the tier's read_quota_mb; modules count as reads)"));
  // The quota is per run: the next run may read as much again.
  write("two.mjs", "import a from './lib/part0.mjs'; import b from './lib/part1.mjs';"
                   "export default a.length + b.length;");
  CHECK(result(job("two.mjs")) == std::to_string(2 * (kMiB + 0)));

  // Loading counts toward the deadline: a graph far larger than the deadline allows is
  // stopped while it loads (the deadline, not the count, is what ends it).
  sandbox = make_sandbox(OpGrants{});
  constexpr std::size_t kWide = 900;
  for (std::size_t i = 0; i < kWide; ++i) {
    write(fmt::format("wide/m{}.mjs", i),
          fmt::format("export const v = {};\n{}", i, std::string(16 * 1024, '\n')));
  }
  std::string wide = "let sum = 0;\n";
  for (std::size_t i = 0; i < kWide; ++i) {
    wide = fmt::format("import {{ v as v{} }} from './m{}.mjs';\n", i, i) + wide;
  }
  write("wide/job.mjs", wide + "export default 1;");
  RunReport slow = run(job("wide/job.mjs", true, milliseconds(1)));
  CHECK(slow.status == RunStatus::kTimeout);
  CHECK(slow.stopped_by == StopReason::kDeadline);
}

TEST_CASE_FIXTURE(ModuleFixture, "a classic script or -e without a folder cannot import") {
  Job rootless{"acme", "-e", "import('./x.mjs').catch(e => e.message)", std::nullopt,
               milliseconds(20'000)};
  CHECK(result(rootless) == R"("-e:1:1: cannot import './x.mjs': this script has no module )"
                            R"(folder: a script file imports from its own folder, a batch job )"
                            R"(from its tenant's; -e, stdin and REPL entries only from )"
                            R"(--module-root DIR")");
}

TEST_CASE_FIXTURE(ModuleFixture, "a load that fails leaves no half-loaded module behind") {
  write("a.mjs", "import './b.mjs';\nimport './missing.mjs';\nexport default 'a';");
  write("b.mjs", "import './c.mjs'; export default 'b';");
  write("c.mjs", "export default 'c';");
  // The same graph tried three times in one run: each says why, none finds half of it.
  CHECK(result(code(R"(
    const tries = [];
    for (const file of ['./a.mjs', './a.mjs', './b.mjs']) {
      tries.push(await import(file).then(m => m.default, e => e.message));
    }
    export default tries;)", true)) ==
        R"(["acme/a.mjs:2:8: cannot import './missing.mjs': acme/missing.mjs does not exist",)"
        R"("acme/a.mjs:2:8: cannot import './missing.mjs': acme/missing.mjs does not exist",)"
        R"("b"])");
  // Once the file is there, the same import succeeds in the same REPL-like kept graph.
  KeptContextSession session(*this);
  CHECK(session.entry("import('./a.mjs').then(m => m.default, e => 'failed')") ==
        R"("failed")");
  write("missing.mjs", "export default 'found';");
  CHECK(session.entry("import('./a.mjs').then(m => m.default, e => e.message)") == R"("a")");
}

TEST_CASE_FIXTURE(ModuleFixture, "hostile import() arguments cost a message, not the runner") {
  // A huge assertion or specifier is quoted in part; the run goes on and can catch it.
  CHECK(result(code(R"(
    const type = 'x'.repeat(5e6);
    import('./d.json', { assert: { type } }).catch(e => [e.constructor.name, e.message.length < 400,
                                                          e.message.includes('not supported')]))",
                    false)) == R"(["TypeError",true,true])");
  CHECK(result(code(R"(
    import('./' + 'a'.repeat(5e6) + '.mjs').catch(e => [e.message.length < 600,
                                                       e.message.includes('over 4096')]))",
                    false)) == "[true,true]");
  // A `then` of the script's is never called on the way to the namespace.
  write("lib/plain.mjs", "export const value = 7;");
  CHECK(result(code(R"(
    let called = 0;
    const original = Promise.prototype.then;
    Promise.prototype.then = function (...args) { called++; return original.apply(this, args); };
    const m = await import('./lib/plain.mjs');
    Promise.prototype.then = original;
    export default [m.value, called];)", true)) == "[7,0]");
}

}  // namespace
}  // namespace krepis

// ES modules through the real binary, in confined worker processes (Landlock lets them read
// only their job folders): `run` of a .mjs file and of -e with --module, a batch that mixes
// classic scripts and modules with a library folder per tenant, a tenant whose script_type is
// "module", warm isolates that pass nothing from one module job to the next, and the REPL's
// import() and .load of a module.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>

#include "e2e/krepis_process.h"

namespace krepis::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A batch folder: tenant acme has a library folder its jobs import, beta is classic, gamma's
// .js jobs are modules by its manifest entry; outside/ is what no job may reach.
struct ModuleBatch {
  fs::path root = temp_folder();
  fs::path dir = root / "jobs";
  fs::path manifest = root / "tenants.toml";

  ModuleBatch() {
    write_file(manifest, R"([tenants.acme]
[tenants.beta]
[tenants.gamma]
script_type = "module"
)");
    write_file(dir / "acme" / "lib" / "greet.mjs", R"(
      import words from './words.json' assert { type: 'json' };
      export const greet = name => `${words.hello}, ${name}`;)");
    write_file(dir / "acme" / "lib" / "words.json", R"({"hello": "Hello"})");
    write_file(dir / "acme" / "hello.mjs", R"(
      import { greet } from './lib/greet.mjs';
      export default greet(input.name);)");
    write_file(dir / "acme" / "hello.json", R"({"name": "Ada"})");
    // Each module job pollutes what it can, and checks it finds nothing of the others'.
    for (const char* name : {"pollute1", "pollute2", "pollute3"}) {
      write_file(dir / "acme" / (std::string(name) + ".mjs"), R"(
        import * as lib from './lib/greet.mjs';
        const seen = [typeof globalThis.leak, Array.prototype.leak, lib.extra];
        globalThis.leak = 1;
        Array.prototype.leak = 'leaked';
        Object.prototype.extra = 'leaked';
        export default seen;)");
    }
    write_file(dir / "acme" / "escape.mjs", "import x from '../../outside/secret.mjs';");
    write_file(dir / "acme" / "classic.js", "import('./lib/greet.mjs').then(m => m.greet('js'))");
    write_file(dir / "beta" / "plain.js", "6 * 7");
    write_file(dir / "beta" / "also.mjs", "export default 'module';");
    write_file(dir / "gamma" / "typed.js", "export default import.meta.url;");
    write_file(root / "outside" / "secret.mjs", "export default 'secret';");
  }
  ProcessResult run(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"batch", "--json", "--tenants", manifest.string(), dir.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_krepis(args);
  }
};

TEST_CASE("a batch mixes classic scripts and modules, and library folders are not jobs") {
  ModuleBatch batch;
  for (const std::string jobs : {"1", "2"}) {
    CAPTURE(jobs);
    ProcessResult result = batch.run({"--jobs", jobs});
    std::map<std::string, json> reports = reports_by_script(result);
    CHECK(reports.size() == 9);  // nothing of acme/lib/ ran
    CHECK(reports["acme/hello.mjs"]["result"] == "Hello, Ada");
    CHECK(reports["acme/hello.mjs"]["result_from"] == "default export");
    for (const char* name : {"acme/pollute1.mjs", "acme/pollute2.mjs", "acme/pollute3.mjs"}) {
      CHECK(reports[name]["result"] == json::parse(R"(["undefined", null, null])"));
    }
    CHECK(reports["acme/escape.mjs"]["status"] == "error");
    CHECK(reports["acme/escape.mjs"]["error"] ==
          "acme/escape.mjs:1:15: Uncaught Error: cannot import '../../outside/secret.mjs': it "
          "climbs above the job's folder");
    CHECK(reports["acme/classic.js"]["result"] == "Hello, js");
    CHECK_FALSE(reports["acme/classic.js"].contains("result_from"));
    CHECK(reports["beta/plain.js"]["result"] == 42);
    CHECK(reports["beta/also.mjs"]["result"] == "module");
    CHECK(reports["gamma/typed.js"]["result"] == "krepis:/typed.js");
    json summary = result.json_lines().back()["summary"];
    CHECK(summary["counts"]["ok"] == 8);
    CHECK(summary["counts"]["error"] == 1);
    CHECK(result.exit_status == 1);
  }
  // With --module, beta's .js job is a module too: a completion value is then no result.
  ProcessResult as_modules = batch.run({"--module"});
  CHECK(reports_by_script(as_modules)["beta/plain.js"]["result_from"] == "module evaluation");
}

TEST_CASE("a symlink out of the tenant's folder is refused by the kernel, in a confined worker") {
  ModuleBatch batch;
  fs::create_symlink(batch.root / "outside" / "secret.mjs", batch.dir / "acme" / "lib" / "x.mjs");
  write_file(batch.dir / "acme" / "link.mjs", "import x from './lib/x.mjs'; export default x;");
  std::map<std::string, json> reports = reports_by_script(batch.run());
  CHECK(reports["acme/link.mjs"]["error"] ==
        "acme/link.mjs:1:15: Uncaught Error: cannot import './lib/x.mjs': 'lib/x.mjs' leads "
        "outside the job's folder");
}

TEST_CASE("krepis run: a .mjs file imports from its folder, -e only from --module-root") {
  fs::path root = temp_folder();
  write_file(root / "app" / "lib" / "math.mjs", "export const twice = x => x * 2;");
  write_file(root / "app" / "main.mjs",
             "import { twice } from './lib/math.mjs'; export default twice(21);");
  write_file(root / "app" / "main.js",
             "import { twice } from './lib/math.mjs'; export default twice(4);");
  ProcessResult module = run_krepis_in(root.string(), {"run", "--json", "app/main.mjs"});
  CHECK(module.exit_status == 0);
  REQUIRE(module.json_lines().size() == 1);
  CHECK(module.json_lines()[0]["result"] == 42);

  // A .js file is a classic script unless --module says otherwise, and is told so.
  ProcessResult classic = run_krepis_in(root.string(), {"run", "--json", "app/main.js"});
  CHECK(classic.exit_status == 1);
  CHECK(classic.json_lines()[0]["error"].get<std::string>().ends_with(
      "Cannot use import statement outside a module (run it as an ES module: name it .mjs, or "
      "give --module)"));
  ProcessResult flagged = run_krepis_in(root.string(), {"run", "-p", "--module", "app/main.js"});
  CHECK(flagged.out == "8\n");

  ProcessResult eval = run_krepis_in(root.string(),
                                     {"run", "-p", "-m", "--module-root", "app", "-e",
                                      "export default (await import('./lib/math.mjs')).twice(5)"});
  CHECK(eval.out == "10\n");
  // Without --module-root, -e and stdin import nothing: not even from the current folder.
  write_file(root / "secret.json", R"({"key": "host secret"})");
  const std::string steal =
      "import('./secret.json', { assert: { type: 'json' } }).then(m => m.default.key)";
  ProcessResult rootless = run_krepis_in(root.string(), {"run", "--json", "-e", steal});
  CHECK(rootless.exit_status == 1);
  CHECK(rootless.out.find("host secret") == std::string::npos);
  CHECK(rootless.json_lines()[0]["error"].get<std::string>().find(
            "this script has no module folder") != std::string::npos);
  write_file(root / "steal.js", steal);
  ProcessResult piped = run_krepis_with(
      SpawnOptions{.cwd = root.string(), .stdin_path = (root / "steal.js").string()},
      {"run", "--json", "-"});
  CHECK(piped.out.find("host secret") == std::string::npos);
  ProcessResult dev_stdin = run_krepis_with(
      SpawnOptions{.cwd = root.string(), .stdin_path = (root / "steal.js").string()},
      {"run", "--json", "/dev/stdin"});
  CHECK(dev_stdin.out.find("host secret") == std::string::npos);
  // --module-root must be a folder that can be one.
  CHECK(run_krepis({"run", "--module-root", "/", "-e", "1"}).exit_status == 2);
  CHECK(run_krepis({"run", "--module-root", (root / "nowhere").string(), "-e", "1"})
            .exit_status == 2);
  // Several scripts, each from its own folder, in one worker process.
  write_file(root / "other" / "lib" / "math.mjs", "export const twice = x => x * 3;");
  write_file(root / "other" / "main.mjs",
             "import { twice } from './lib/math.mjs'; export default twice(1);");
  ProcessResult two =
      run_krepis_in(root.string(), {"run", "-p", "app/main.mjs", "other/main.mjs"});
  CHECK(two.out == "42\n3\n");
}

TEST_CASE("the REPL imports modules of --module-root, and .load runs a .mjs file") {
  fs::path root = temp_folder();
  write_file(root / "lib" / "count.mjs", "export let n = 0; export const bump = () => ++n;");
  write_file(root / "job.mjs", "import { bump } from './lib/count.mjs'; export default bump();");
  write_file(root / "entries.txt", R"(const m = await import('./lib/count.mjs')
m.bump() + m.bump()
.load job.mjs
import x from './lib/count.mjs'
)");
  ProcessResult repl = run_krepis_with(
      SpawnOptions{.cwd = root.string(), .stdin_path = (root / "entries.txt").string()},
      {"repl", "--json", "--module-root", "."});
  std::vector<json> lines = repl.json_lines();
  REQUIRE(lines.size() == 4);
  CHECK(lines[1]["result"] == 3);
  // The kept context's graph is the session's: the loaded job bumps the same counter.
  CHECK(lines[2]["result"] == 3);
  CHECK(lines[2]["result_from"] == "default export");
  CHECK(lines[3]["error"].get<std::string>().ends_with(
      "(in the REPL, import with: const m = await import('./file.mjs'))"));
  // Without --module-root, the session imports nothing.
  ProcessResult rootless = run_krepis_with(
      SpawnOptions{.cwd = root.string(), .stdin_path = (root / "entries.txt").string()},
      {"repl", "--json"});
  std::vector<json> refused = rootless.json_lines();
  REQUIRE(refused.size() == 4);
  CHECK(refused[0]["error"].get<std::string>().find("this script has no module folder") !=
        std::string::npos);
}

}  // namespace
}  // namespace krepis::test

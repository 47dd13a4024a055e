#include "cli/run_command.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/module_root_option.h"
#include "cli/report_sink.h"
#include "cli/terminal.h"
#include "cli/usage_errors.h"
#include "core/base/json_syntax.h"
#include "core/base/module_root.h"
#include "core/base/report.h"
#include "core/base/text_file.h"
#include "core/base/utf8.h"
#include "core/batch/job_server.h"
#include "core/batch/process_worker.h"
#include "core/batch/worker_lock.h"
#include "core/runtime/runtime.h"

namespace krepis::cli {
namespace {

// What --print shows of a result: a string's text as it is (its JSON decoded), anything
// else as its JSON. A string bound for a terminal has its control characters made visible,
// tabs and newlines kept.
std::string printed_result(const RunReport& report) {
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  const std::string& json = *report.result_json;
  if (report.result_type == std::optional<std::string>("undefined")) return "undefined";
  if (report.result_type != std::optional<std::string>("string")) {
    return terminal ? visible_lines(json) : json;
  }
  nlohmann::json value = nlohmann::json::parse(nlohmann_parsable(json), nullptr, false);
  if (!value.is_string()) return json;
  std::string text = value.get<std::string>();
  return terminal ? visible_lines(text) : text;
}

// Pipes named twice (`-` and /dev/stdin, or one <(...) given twice) would be read once, and
// the second reader would get nothing: the first pipe named twice, if any.
std::optional<std::string> pipe_named_twice(const std::vector<std::string>& paths) {
  std::vector<std::pair<dev_t, ino_t>> seen;
  for (const std::string& path : paths) {
    struct stat info {};
    const bool ok =
        path == kStdinPath ? ::fstat(STDIN_FILENO, &info) == 0 : ::stat(path.c_str(), &info) == 0;
    if (!ok || !(S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode) ||
                 (path == kStdinPath && !S_ISREG(info.st_mode)))) {
      continue;
    }
    const std::pair<dev_t, ino_t> id{info.st_dev, info.st_ino};
    if (std::find(seen.begin(), seen.end(), id) != seen.end()) return path;
    seen.push_back(id);
  }
  return std::nullopt;
}

}  // namespace

void add_run_command(CLI::App& app, RunOptions& options) {
  CLI::App* run = app.add_subcommand("run", "Run scripts once each, in order, on one warm isolate");
  run->add_option("scripts", options.scripts,
                  "JavaScript files to run, in order; - reads one from stdin")
      ->type_name("SCRIPT");
  run->add_option("-e,--eval", options.code, "Run CODE instead of script files")
      ->type_name("CODE")
      ->excludes("scripts");
  run->add_option("--tenant", options.tenant, "Tenant to run as, from the manifest")
      ->type_name("ID")
      ->capture_default_str();
  add_manifest_options(*run, options.manifest);
  run->add_option("--input", options.input_file,
                  "JSON file exposed to every script as the global `input`; - reads stdin")
      ->type_name("FILE");
  run->add_flag("--json", options.json, "One JSON object per run, one per line, as the report");
  run->add_option("--report", options.report,
                  "Where each run's report goes: stdout (the default; stderr with -p), "
                  "stderr, none, or FILE")
      ->type_name("WHERE");
  run->add_flag("-m,--module", options.module,
                "Run .js scripts and -e CODE as ES modules (a .mjs file always is one; so is "
                "every .js file of a tenant whose script_type is \"module\")");
  add_module_root_option(*run, options.module_root);
  run->add_flag("-p,--print", options.print,
                "Print each successful run's result alone on stdout, as node -p does: a "
                "string as it is, anything else as JSON");
  run->footer(R"(Every script runs in a fresh context of one reused V8 isolate of the tenant:
nothing one script leaves behind is visible to the next. A script's result is its
completion value (awaited if it is a promise), as JSON; a module's is its default export
(awaited), or undefined when it exports none. With several scripts the isolate
lives in a worker process: a script that ends it (a builtin past the heap cap, a
termination that never lands) is reported, and the next script gets a new one.

Imports (static `import` in a module, `import()` anywhere) name .mjs, .js and .json files
by a path relative to the importing file ('./lib.mjs', '../data.json' with assert { type:
'json' }), beneath the script's folder (--module-root's, if given) and nowhere else: no
packages, absolute paths, URLs or hidden files; import.meta.url is "krepis:/<path beneath
that folder>". -e and stdin import only with --module-root.

Scripts and --input may be pipes: `-` is stdin, and /dev/stdin or a shell's <(...) are read
to their end (under the same size limits as files). In a pipeline, --report=stderr (or none,
or FILE) leaves stdout to the script's own output, and -p to its result alone.

Examples:
  krepis run hello.js                      run a file, print its log and a usage line
  krepis run -e '[1, 2, 3].map(x => x * 2)'
  krepis run job.mjs                       a module: its default export is the result
  krepis run -m --module-root . -e 'export default (await import("./lib.mjs")).answer'
  krepis run --json --deadline-ms 50 a.js b.js
  krepis run --tenants tenants.toml --tenant acme --input data.json job.js
  cat data.json | krepis run --input - -p --report=none transform.js | jq .
  krepis run --report=stderr - < job.js > job.log

Exit status: 0 all ok, 1 an error, 2 usage or manifest error, 3 out of memory, 4 denied or
crashed, 124 a timeout; when several occur the highest wins. 74 when stdout (or --report's
stderr or FILE) could not be written (reports were lost): that wins over all. 71 when the process could not confine
itself and ran nothing; 159 when its sandbox ended it for a forbidden system call (only
after a V8 bug).)");
}

int run_command(const RunOptions& options) {
  if (options.scripts.empty() && !options.code) {
    print_error("run: give at least one SCRIPT, or -e CODE (see krepis run --help)");
    return kUsageError;
  }
  const auto reads_stdin = [](const std::string& path) { return path == kStdinPath; };
  std::vector<std::string> read_paths = options.scripts;
  if (options.input_file) read_paths.push_back(*options.input_file);
  if (std::count_if(read_paths.begin(), read_paths.end(), reads_stdin) > 1) {
    print_error("run: stdin can be read once: give `-` as one script or as --input, not both");
    return kUsageError;
  }
  if (std::optional<std::string> twice = pipe_named_twice(read_paths)) {
    print_error(fmt::format("run: {} is a pipe named twice: a pipe can be read once", *twice));
    return kUsageError;
  }
  const std::string report_to = options.report.value_or(options.print ? "stderr" : "stdout");
  if (options.print && options.json && (report_to == "stdout" || report_to == "-")) {
    print_error(
        "run: -p with --json --report=stdout would mix results into the JSON lines: "
        "send the reports elsewhere (--report=stderr, none or FILE)");
    return kUsageError;
  }
  std::optional<std::filesystem::path> module_root;
  if (!check_module_root(options.module_root, module_root)) return kUsageError;
  std::optional<Manifest> manifest = load_manifest_for(options.manifest);
  if (!manifest) return kUsageError;
  if (std::count(options.scripts.begin(), options.scripts.end(), kStdinPath) > 0 &&
      ::isatty(STDIN_FILENO) == 1) {
    print_error("reading the script from the terminal: end it with Ctrl-D");
  }
  std::optional<std::string> input;
  if (options.input_file) {
    Result<std::string> file = read_json_file(*options.input_file, Pipes::kRead);
    if (!file.ok()) {
      print_error("--input " + file.error().message);
      return kUsageError;
    }
    input = std::move(file).value();
  }

  std::string denial;
  const TenantSpec* tenant = find_tenant(*manifest, options.tenant, denial);
  // The scripts are read before a runtime confines this process to the tenant's own files.
  struct Script {
    std::string name;
    Result<std::string> source;
    std::string path;  // empty for -e and stdin
  };
  std::vector<Script> scripts;
  if (options.code) scripts.push_back({"-e", *options.code, ""});
  for (const std::string& path : options.scripts) {
    scripts.push_back({reads_stdin(path) ? "stdin" : path,
                       read_text_file(path, kMaxTextFileBytes, Pipes::kRead),
                       reads_stdin(path) ? "" : path});
  }
  // Each script imports from its own folder or --module-root's (set_module_root_of_script),
  // which the process that runs it may therefore read, and nothing else of the host's
  // beyond its policy; -e and stdin without --module-root import nothing.
  std::vector<Job> jobs;
  std::vector<std::string> module_roots;  // kept apart: the jobs are moved as they run
  for (const Script& script : scripts) {
    Job& job = jobs.emplace_back();
    // Without a root its imports are refused, saying so: not a reason to refuse the script.
    static_cast<void>(set_module_root_of_script(job, script.path, module_root));
    job.module = is_module_script(script.path.empty() ? script.name : script.path,
                                  options.module ||
                                      (tenant != nullptr && tenant->modules_by_default));
    module_roots.push_back(job.module_root);
  }
  const auto policy_for = [&manifest, &module_roots](const TenantSpec* locked_to) {
    ConfinementPolicy policy = worker_policy(*manifest, std::nullopt, locked_to);
    for (const std::string& root : module_roots) {
      if (!root.empty()) policy.paths.push_back({root});
    }
    return policy;
  };
  // Then the report file, which must not be one of what was just read, nor the manifest.
  std::vector<std::string> keep;
  for (const std::string& path : read_paths) {
    if (!reads_stdin(path)) keep.push_back(path);
  }
  keep.push_back(options.manifest.tenants_file.value_or("tenants.toml"));
  std::string sink_error;
  std::optional<ReportSink> sink = ReportSink::open(report_to, keep, sink_error);
  if (!sink) {
    print_error(sink_error);
    return kUsageError;
  }

  int exit_status = 0;
  auto report = [&](const RunReport& run_report) {
    if (options.print && run_report.status == RunStatus::kOk && run_report.result_json) {
      write_stdout(printed_result(run_report) + "\n");
    }
    sink->write(run_report, options.json);
    // The worker process prints the next script's log straight to stdout: this goes first.
    std::fflush(stdout);
    exit_status = combine_exit_status(exit_status, exit_status_for(run_report.status));
  };
  // A run that ends its process (a builtin that outgrows the heap cap, a termination that
  // never lands) is reported by the process's last words. With several scripts they run in
  // a worker process, which prints their log as it comes, so the next script gets a new
  // worker; with one, this process is the worker (no fork on the way of `run -e 1`).
  const LiveOutput live = options.json ? LiveOutput{} : LiveOutput{&print_log_entry};
  std::optional<ProcessWorker> worker;
  std::optional<Runtime> runtime;
  if (tenant != nullptr) say_confinement_shortfall();
  if (scripts.size() > 1) {
    worker.emplace(
        [&manifest, &live, &policy_for](int socket, int wake, const TenantSpec* locked_to) {
          return serve_jobs(socket, wake, *manifest, policy_for(locked_to), &live);
        },
        ProcessWorker::kDefaultGrace, [](const TenantSpec&) { return true; });
  } else if (tenant != nullptr) {
    auto last_words = [&](const RunReport& run_report) {
      report(run_report);
      std::_Exit(sink->finish(finish_stdout(exit_status)));
    };
    runtime.emplace(*manifest,
                    RuntimeOptions{.last_words = last_words,
                                   .long_lived = false,
                                   .confine = policy_for(tenant)});
  }
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    Script& script = scripts[i];
    if (!script.source.ok()) {
      report(denied_report(options.tenant, script.name, script.source.error().message));
      continue;
    }
    if (tenant == nullptr) {
      report(denied_report(options.tenant, std::move(script.name), denial));
      continue;
    }
    Job job = std::move(jobs[i]);
    job.tenant = tenant->id;
    job.script_name = std::move(script.name);
    job.source = std::move(script.source).value();
    job.input_json = input;
    job.deadline = tenant->limits.deadline;
    if (options.input_file) {
      job.input_name =
          "--input " + (reads_stdin(*options.input_file) ? "stdin" : *options.input_file);
    }
    report(worker ? worker->run(job, *tenant) : runtime->run(job, &live));
  }
  // A confined process ends as a worker does, once its output is out: tearing down V8 and
  // the runtime's threads would only delay the exit (and a leak check at exit would need
  // system calls its allow-list refuses).
  if (runtime) std::_Exit(sink->finish(finish_stdout(exit_status)));
  return sink->finish(exit_status);
}

}  // namespace krepis::cli

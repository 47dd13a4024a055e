// One unit of work: a script of a tenant, with its optional input.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace krepis {

struct Job {
  std::string tenant;
  // The script's name in reports and stack traces: its path as given, or "-e".
  std::string script_name;
  std::string source;
  // JSON text exposed to the script as the global `input`. V8 parses it before the script
  // runs; text that is not JSON denies the run, with a message that names input_name.
  std::optional<std::string> input_json;
  std::chrono::milliseconds deadline{100};
  // Also describe the result as console.log would (the REPL prints it); a result that JSON
  // cannot hold (a cycle, a function) is then no error.
  bool inspect_result = false;
  // The REPL: in a kept context, a successful entry's value becomes the global `_`, until
  // the script gives `_` a value of its own.
  bool remember_result = false;
  // Where input_json came from, for that message: "input PATH".
  std::string input_name = "input";
  // A batch job names its files instead of carrying them: the process that runs it reads
  // them (load_job_files), under its tenant's size limits, so the batch's parent never holds
  // a job's bytes. Empty for a job that carries its source.
  std::string script_file = {};
  std::string input_file = {};
  // The script is an ES module (is_module_script: .mjs, or --module, or the tenant's
  // script_type): its result is its awaited default export.
  bool module = false;
  // Where its imports resolve (a module's, and a classic script's import()): a folder of the
  // host (`module_root`), how reports name it ("acme", "examples/jobs", empty for the
  // current folder), and the script's own path beneath it ("job.mjs"; empty for -e, stdin
  // or a REPL entry, which import from the root itself). Without a root, imports fail.
  std::string module_root = {};
  std::string module_root_name = {};
  std::string entry_path = {};
};

}  // namespace krepis

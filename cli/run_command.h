// `krepis run`: run each script (or -e CODE) once, in order, on one tenant's warm isolate.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/manifest_option.h"

namespace krepis::cli {

struct RunOptions {
  std::vector<std::string> scripts;
  std::optional<std::string> code;
  ManifestOptions manifest;
  std::string tenant = "default";
  std::optional<std::string> input_file;
  bool json = false;
  // Where each run's report goes: stdout, stderr, none or a file (cli/report_sink.h); by
  // default stdout, or stderr with --print.
  std::optional<std::string> report;
  // Print each successful run's result alone on stdout (a string as it is, else JSON).
  bool print = false;
  // .js scripts and -e CODE are ES modules (a .mjs script always is).
  bool module = false;
  // Where -e and stdin import from, and script files instead of their own folders.
  std::optional<std::string> module_root;
};

void add_run_command(CLI::App& app, RunOptions& options);

// Returns the process exit status (docs/CLI.md).
int run_command(const RunOptions& options);

}  // namespace krepis::cli

// `krepis run`: run each script (or -e CODE) once, in order, on one tenant's warm isolate.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krepis::cli {

struct RunOptions {
  std::vector<std::string> scripts;
  std::optional<std::string> code;
  std::optional<std::string> tenants_file;
  std::string tenant = "default";
  std::optional<std::int64_t> heap_mb;
  std::optional<std::int64_t> deadline_ms;
  std::optional<std::string> input_file;
  bool json = false;
};

void add_run_command(CLI::App& app, RunOptions& options);

// Returns the process exit status (CLI-CONTRACT.md).
int run_command(const RunOptions& options);

}  // namespace krepis::cli

// `krepis repl`: an interactive session on a tenant's warm pool, to try what a tenant may do
// and where its limits bite. Each entry is a run under the tenant's limits.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "cli/manifest_option.h"

namespace krepis::cli {

struct ReplOptions {
  ManifestOptions manifest;
  std::string tenant = "default";
  bool json = false;
  bool fresh = false;
  // Files .load runs that end in .js are ES modules (.mjs ones always are).
  bool module = false;
  // Where entries import from (none without it).
  std::optional<std::string> module_root;
};

void add_repl_command(CLI::App& app, ReplOptions& options);

// 0 at the end of an interactive session; with input from a pipe, the contract's status for
// the worst entry (130 / 143 when a signal stopped it).
int repl_command(const ReplOptions& options);

}  // namespace krepis::cli

// `krepis batch DIR`: run every job under DIR on the warm pool, N at a time, with reports as
// they finish and a summary at the end.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "cli/manifest_option.h"

namespace krepis::cli {

struct BatchOptions {
  std::string dir;
  ManifestOptions manifest;
  std::optional<std::int64_t> jobs;
  std::optional<std::string> shard;
  std::optional<std::int64_t> shards;
  // How --shard splits DIR: "jobs" (balanced, from the listing) or "tenant" (by name hash).
  std::string shard_by = "jobs";
  bool json = false;
  // Print only the reports of jobs that did not end ok (and the summary); quiet also draws
  // no progress line.
  bool failures_only = false;
  bool quiet = false;
  // Name each skipped file, and why, on stderr.
  bool verbose = false;
  // The batch's JSON Lines record: jobs reported there are skipped, new reports appended.
  std::optional<std::string> resume;
  // Each job's report also as DIR/<tenant>/<job>.json.
  std::optional<std::string> out;
  // .js jobs are ES modules (.mjs ones always are).
  bool module = false;
  // A report page (html_report.h) written at the end.
  std::optional<std::string> html;
};

void add_batch_command(CLI::App& app, BatchOptions& options);

// The contract's exit status; 130 or 143 when SIGINT or SIGTERM stopped the batch.
int batch_command(const BatchOptions& options);

}  // namespace krepis::cli

// `krepis summarize FILE...`: one summary over the JSON Lines of several batches or shards.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace krepis::cli {

struct SummarizeOptions {
  std::vector<std::string> files;
  bool json = false;
  // A report page (html_report.h) of the merged runs.
  std::optional<std::string> html;
};

void add_summarize_command(CLI::App& app, SummarizeOptions& options);

// The exit status the merged runs imply; 2 when a file cannot be read or holds no runs.
int summarize_command(const SummarizeOptions& options);

}  // namespace krepis::cli

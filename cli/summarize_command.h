// `krepis summarize FILE...`: one summary over the JSON Lines of several batches or shards.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace krepis::cli {

struct SummarizeOptions {
  std::vector<std::string> files;
  bool json = false;
};

void add_summarize_command(CLI::App& app, SummarizeOptions& options);

// The exit status the merged runs imply; 2 when a file cannot be read or holds no runs.
int summarize_command(const SummarizeOptions& options);

}  // namespace krepis::cli

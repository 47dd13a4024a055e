#include "cli/summarize_command.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/html_report.h"
#include "cli/summary_output.h"
#include "cli/terminal.h"
#include "cli/usage_errors.h"
#include "core/base/json_syntax.h"
#include "core/base/report.h"
#include "core/batch/batch_summary.h"

namespace krepis::cli {
namespace {

// Folds every line of one stream in; false (with a message naming file:line) on a line that
// is not a report or a summary.
bool merge_stream(std::istream& in, const std::string& name, BatchSummary& summary,
                  HtmlReport* page) {
  std::size_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty()) continue;
    // A result may hold a lone surrogate, which V8 writes as an escape nlohmann refuses.
    nlohmann::json parsed = nlohmann::json::parse(nlohmann_parsable(line), nullptr, false);
    const bool had_other_plan = !summary.other_plan.empty();
    const bool had_repeat = !summary.repeated_shard.empty();
    if (parsed.is_discarded() || !summary.merge_line(parsed)) {
      print_error(fmt::format("{}:{}: not a report or summary line of `krepis batch --json`", name,
                              number));
      return false;
    }
    if (page != nullptr && !parsed.contains("summary")) {
      if (std::optional<RunReport> report = report_from_json(parsed)) page->add(*report);
    }
    if (!had_repeat && !summary.repeated_shard.empty()) {
      print_error(fmt::format("{}:{}: shard {} is merged twice: its jobs would be counted twice",
                              name, number, summary.repeated_shard));
      return false;
    }
    if (!had_other_plan && !summary.other_plan.empty()) {
      print_error(fmt::format(
          "{}:{}: a shard planned from another listing (plan {}, where the lines before had "
          "plan {}): its jobs and theirs may overlap or leave some out. Merge the shards of "
          "one batch run; a folder that changes between shard starts needs --shard-by tenant",
          name, number, summary.other_plan, summary.plan));
      return false;
    }
  }
  return true;
}

}  // namespace

void add_summarize_command(CLI::App& app, SummarizeOptions& options) {
  CLI::App* summarize = app.add_subcommand(
      "summarize", "Merge the --json output of batches or shards into one summary");
  summarize
      ->add_option("files", options.files,
                   "JSON Lines files of `krepis batch --json` (- for stdin)")
      ->type_name("FILE")
      ->required();
  summarize->add_flag("--json", options.json, "Print the merged {\"summary\": ...} line");
  summarize
      ->add_option("--html", options.html,
                   "Also write a report page to FILE: one self-contained HTML file (no "
                   "scripts; works offline) with counts, tenants, latency and heap charts, the "
                   "slowest jobs and the failures grouped by message")
      ->type_name("FILE");
  summarize->footer(R"(Counts, percentiles and pool figures are recomputed over every report line;
the elapsed time is the slowest shard's (shards run side by side).

Report lines alone (`krepis run --json`) are counted too; without a batch's summary line
there is no elapsed time, workers or pool figures to show.

Shards are merged only when their summaries carry the same plan fingerprint: shards planned
from different listings (a folder that changed between their starts) may have run a job
twice or never, and are refused.

Exit status: the worst job's, as for batch (0 all ok, 1 an error, 3 out of memory, 4 denied
or crashed, 124 a timeout; the highest wins); 130 when a merged batch was interrupted; 2
when a line is not a report or summary line, there is none, or the shards' plans differ.

Example:
  krepis summarize shard-*.jsonl)");
}

int summarize_command(const SummarizeOptions& options) {
  BatchSummary summary;
  summary.shards = 0;
  std::optional<HtmlReport> page;
  if (options.html) {
    if (std::optional<std::string> problem = page_path_problem(*options.html, options.files)) {
      print_error("--html " + *problem);
      return kUsageError;
    }
    page.emplace();
  }
  for (const std::string& file : options.files) {
    if (file == "-") {
      if (!merge_stream(std::cin, "stdin", summary, page ? &*page : nullptr)) return kUsageError;
      continue;
    }
    std::ifstream in(file);
    if (!in) {
      print_error(fmt::format("{}: cannot be read", file));
      return kUsageError;
    }
    if (!merge_stream(in, file, summary, page ? &*page : nullptr)) return kUsageError;
  }
  if (summary.jobs() == 0) {
    print_error("no report lines in the input: nothing to summarize");
    return kUsageError;
  }
  // Shards of one plan, not all of them: said, not refused (a merge while some still run).
  if (!summary.shards_seen.empty()) {
    const std::string& any = *summary.shards_seen.begin();
    const std::size_t slash = any.find('/');
    const std::size_t count = static_cast<std::size_t>(std::atol(any.c_str() + slash + 1));
    if (slash != std::string::npos && count > summary.shards_seen.size()) {
      print_error(fmt::format("merged {} of {} shards (plan {}): the others' jobs are not counted",
                              summary.shards_seen.size(), count, summary.plan));
    }
  }
  const std::string title = fmt::format("{}", fmt::join(options.files, " "));
  if (std::string error; page && !write_page(*options.html, page->page(summary, title), error)) {
    print_error(fmt::format("--html {}", error));
    print_summary(summary, options.json);
    return kOutputLost;
  }
  print_summary(summary, options.json);
  return summary.interrupted ? 130 : summary.exit_status;
}

}  // namespace krepis::cli

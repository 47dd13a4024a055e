// `batch --html FILE` and `summarize --html FILE`: one self-contained page people would
// rather look at than JSON Lines. Inline CSS and SVG only: no script, no font, no image from
// anywhere (a Content-Security-Policy of `default-src 'none'` says so to the browser), so it
// works offline and from a mail attachment. Everything a script produced (names, errors,
// output) is escaped: it is shown, never markup.
//
// It shows the status counts, a table per tenant, a latency histogram with p50/p90/p99, the
// distribution of heap peaks, the slowest jobs, failures grouped by error message (with
// their output), the pools' figures, the shards merged and the heap caps in force.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/base/run_report.h"
#include "core/batch/batch_summary.h"

namespace krepis::cli {

class HtmlReport {
 public:
  // Failures are grouped by status and message (without the job's own file:line:column);
  // past these bounds they are counted, not kept, so a page of a million failures stays
  // readable and the process that makes it small.
  static constexpr std::size_t kMaxGroups = 50;
  static constexpr std::size_t kExamplesPerGroup = 3;
  static constexpr std::size_t kOutputLinesPerExample = 20;
  static constexpr std::size_t kMaxTextBytes = 2000;
  static constexpr std::size_t kSlowestJobs = 15;
  // What the failures' messages and output may take in all, before escaping; past it the
  // examples keep their job's name only.
  static constexpr std::size_t kFailureTextBytes = 1024 * 1024;
  // Tenants in the table, most jobs first; the rest are counted.
  static constexpr std::size_t kTenantRows = 200;

  // Folds one report in.
  void add(const RunReport& report);

  // The page, for the summary the same reports made. `title` heads it (the batch's folder,
  // or the files summarized).
  std::string page(const BatchSummary& summary, const std::string& title) const;

 private:
  struct Job {
    std::string name;
    std::string status;
    double wall_ms = 0;
    std::size_t heap_peak_bytes = 0;
  };
  struct Example {
    std::string job;
    std::vector<std::string> output;
  };
  struct Group {
    std::string status;
    std::string message;
    std::size_t count = 0;
    std::vector<Example> examples;
  };
  std::vector<Job> jobs_;
  std::vector<Group> groups_;
  std::size_t ungrouped_failures_ = 0;  // past kMaxGroups
  std::size_t failure_text_bytes_ = 0;  // kept so far, within kFailureTextBytes
  // tenant -> heap caps its reports carried (more than one if a run changed it)
  std::map<std::string, std::vector<std::size_t>> heap_caps_;
};

// `text` with &, <, >, " and ' written as entities: safe in an element and in an attribute.
// A byte that is not UTF-8 becomes U+FFFD, so the page is valid UTF-8 whatever it quotes.
std::string html_escape(std::string_view text);

// Why a page could not be written to `path`, said before a batch runs rather than after:
// its folder is missing or not writable (a file is made there and removed, to know), it is
// a folder, stdout's or stderr's own file, or one krepis reads (`inputs`: the manifest, a
// record, summarize's files), or it lies beneath `beneath` (the batch's folder, whose files
// are jobs). Nothing when it can be written.
std::optional<std::string> page_path_problem(const std::string& path,
                                             const std::vector<std::string>& inputs,
                                             const std::string& beneath = {});

// Writes `page` to `path` through a temporary file beside it, renamed into place; false with
// `error` set when it cannot.
bool write_page(const std::string& path, const std::string& page, std::string& error);

}  // namespace krepis::cli

// The report page's content without a browser (tests/html_report_test.sh renders it in
// chromium): escaping, failures grouped by message without the job's place, and the bounds
// that keep a page of many failures small.
#include "cli/html_report.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

namespace krepis::cli {
namespace {

RunReport report(const std::string& script, RunStatus status, const std::string& error = "") {
  RunReport run;
  run.tenant = script.substr(0, script.find('/'));
  run.script = script;
  run.status = status;
  run.wall_ms = 1.5;
  run.heap_peak_bytes = 1024 * 1024;
  run.heap_cap_bytes = 64 * 1024 * 1024;
  if (!error.empty()) run.error = error;
  return run;
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

TEST_CASE("html_escape leaves no markup") {
  CHECK(html_escape(R"(<a href="x" onclick='y'>&</a>)") ==
        "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
}

TEST_CASE("failures group by message, whatever job threw them, within bounds") {
  HtmlReport page;
  BatchSummary summary;
  auto add = [&](const RunReport& run) {
    page.add(run);
    summary.add(run);
  };
  add(report("acme/ok.js", RunStatus::kOk));
  for (int i = 0; i < 7; ++i) {
    RunReport run = report(fmt::format("acme/j{}.js", i), RunStatus::kError,
                           fmt::format("acme/j{}.js:3:{}: Uncaught Error: <same>", i, i + 1));
    for (int line = 0; line < 30; ++line) run.output.push_back(fmt::format("line {}", line));
    add(run);
  }
  for (std::size_t i = 0; i < HtmlReport::kMaxGroups + 10; ++i) {
    add(report(fmt::format("beta/d{}.js", i), RunStatus::kError, fmt::format("distinct {}", i)));
  }
  const std::string html = page.page(summary, "jobs/<x>");
  CHECK(html.find("<b>7</b> × error: Uncaught Error: &lt;same&gt;") != std::string::npos);
  CHECK(html.find("<same>") == std::string::npos);
  CHECK(html.find("jobs/&lt;x&gt;") != std::string::npos);
  CHECK(html.find(R"(id="count-ok">1<)") != std::string::npos);
  CHECK(html.find(fmt::format(R"(id="count-error">{}<)", 7 + HtmlReport::kMaxGroups + 10)) !=
        std::string::npos);
  // Three examples of the big group, each with 20 lines of output and a note of the rest.
  CHECK(occurrences(html, "… 10 more lines") == HtmlReport::kExamplesPerGroup);
  CHECK(occurrences(html, "<details") == HtmlReport::kMaxGroups);
  CHECK(html.find("and 11 failures in more groups than the 50 shown") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("default-src 'none'") != std::string::npos);
}

}  // namespace
}  // namespace krepis::cli

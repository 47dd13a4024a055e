#include "cli/html_report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "cli/file_descriptors.h"
#include "cli/summary_output.h"
#include "core/base/report.h"
#include "core/base/unique_fd.h"
#include "core/base/utf8.h"

namespace krepis::cli {
namespace {

constexpr std::string_view kStyle = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #1d2330; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 2em; }
.sub { color: #5b6475; } table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: .25em .8em; text-align: right; border-bottom: 1px solid #e3e6ec; }
th:first-child, td:first-child { text-align: left; } th { background: #f3f5f8; }
.counts { display: flex; gap: .8em; flex-wrap: wrap; }
.count { border-radius: 6px; padding: .6em 1em; min-width: 6em; background: #f3f5f8; }
.count b { display: block; font-size: 1.6em; }
.ok { border-left: 6px solid #2e9d57; } .error { border-left: 6px solid #d64545; }
.timeout { border-left: 6px solid #d9882b; } .oom { border-left: 6px solid #8a4fd1; }
.denied { border-left: 6px solid #6b7280; } .crashed { border-left: 6px solid #111827; }
details { margin: .4em 0; border: 1px solid #e3e6ec; border-radius: 6px; padding: .4em .8em; }
summary { cursor: pointer; } pre { background: #f6f7f9; padding: .5em; overflow-x: auto;
  white-space: pre-wrap; word-break: break-all; margin: .3em 0; }
svg text { font: 11px system-ui, sans-serif; fill: #3b4252; }
)";

// A message without the job's own place ("acme/a.js:3:7: "), so one error in many jobs is one
// group.
std::string message_of(const RunReport& report) {
  if (!report.error) return {};
  std::string_view error = *report.error;
  if (error.starts_with(report.script + ":")) {
    std::string_view rest = error.substr(report.script.size() + 1);
    // line:column: (digits, colon, digits, colon, space)
    std::size_t at = 0;
    int colons = 0;
    while (at < rest.size() && colons < 2 &&
           (std::isdigit(static_cast<unsigned char>(rest[at])) != 0 || rest[at] == ':')) {
      colons += rest[at] == ':' ? 1 : 0;
      ++at;
    }
    if (colons == 2 && at < rest.size() && rest[at] == ' ') return std::string(rest.substr(at + 1));
  }
  return std::string(error);
}

std::string milliseconds(double ms) {
  return ms < 10 ? fmt::format("{:.2f} ms", ms) : fmt::format("{:.1f} ms", ms);
}

std::string mebibytes(std::size_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

struct Marker {
  std::string label;
  double value;
};

// A bar chart of `values` in 24 equal bins from 0 to the largest, with labelled markers; the
// counts of the highest bin set the scale. Numbers and escaped labels only.
std::string histogram(const std::vector<double>& values, const std::string& title,
                      const std::vector<Marker>& markers,
                      std::string (*format)(double)) {
  constexpr int kBins = 24;
  constexpr double kWidth = 760, kHeight = 250, kLeft = 48, kBottom = 24, kTop = 60;
  const double plot_width = kWidth - kLeft - 12;
  const double plot_height = kHeight - kBottom - kTop;
  std::string svg = fmt::format(
      R"(<svg role="img" aria-label="{0}" width="{1}" height="{2}" viewBox="0 0 {1} {2}" )"
      R"(xmlns="http://www.w3.org/2000/svg"><text x="{3}" y="16">{0}</text>)",
      html_escape(title), kWidth, kHeight, kLeft);
  if (values.empty()) return svg + R"(<text x="48" y="60">no runs</text></svg>)";
  // Callers pass finite values of 0 and more (a hand-edited report may say otherwise).
  const double top = std::max(*std::max_element(values.begin(), values.end()), 1e-9);
  std::vector<std::size_t> bins(kBins, 0);
  for (double value : values) {
    ++bins[static_cast<std::size_t>(std::clamp(value / top * kBins, 0.0, kBins - 1.0))];
  }
  const std::size_t most = *std::max_element(bins.begin(), bins.end());
  const double bar = plot_width / kBins;
  for (int i = 0; i < kBins; ++i) {
    const double height = plot_height * static_cast<double>(bins[static_cast<std::size_t>(i)]) /
                          static_cast<double>(most);
    svg += fmt::format(
        R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#5b8def">)"
        R"(<title>{}</title></rect>)",
        kLeft + i * bar + 1, kTop + plot_height - height, bar - 2, height,
        bins[static_cast<std::size_t>(i)]);
  }
  svg += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#9aa3b2"/>)", kLeft,
                     kTop + plot_height, kLeft + plot_width);
  svg += fmt::format(R"(<text x="{}" y="{}">0</text><text x="{}" y="{}" text-anchor="end">{}</text>)",
                     kLeft, kHeight - 18, kLeft + plot_width, kHeight - 18, html_escape(format(top)));
  svg += fmt::format(R"(<text x="8" y="{}">{}</text>)", kTop + 10, most);
  // Labels stacked above the plot, one line each, so markers close together stay legible.
  for (std::size_t i = 0; i < markers.size(); ++i) {
    const double x = kLeft + plot_width * std::clamp(markers[i].value / top, 0.0, 1.0);
    const double y = 30 + 11 * static_cast<double>(i);
    svg += fmt::format(
        R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2}" stroke="#d64545" )"
        R"(stroke-dasharray="3 2"/><text x="{0:.1f}" y="{3:.1f}" text-anchor="{4}">{5}</text>)",
        x, y + 2, kTop + plot_height, y, x > kLeft + plot_width * 0.75 ? "end" : "start",
        html_escape(markers[i].label + " " + format(markers[i].value)));
  }
  return svg + "</svg>";
}

std::string ms_label(double ms) { return milliseconds(ms); }
std::string mib_label(double mib) { return fmt::format("{:.1f} MiB", mib); }

}  // namespace

std::string html_escape(std::string_view raw) {
  std::string valid;
  if (first_invalid_utf8(raw)) {
    for (std::string_view rest = raw; !rest.empty();) {
      const std::size_t good = first_invalid_utf8(rest).value_or(rest.size());
      valid += rest.substr(0, good);
      if (good == rest.size()) break;
      valid += "\uFFFD";
      rest.remove_prefix(good + 1);
    }
    raw = valid;
  }
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

void HtmlReport::add(const RunReport& report) {
  const std::string status(to_string(report.status));
  jobs_.push_back({report.script, status, report.wall_ms, report.heap_peak_bytes});
  // The caps a tenant's runs had (a denied run has none); a few, if limits changed.
  if (report.heap_cap_bytes > 0) {
    std::vector<std::size_t>& caps = heap_caps_[report.tenant];
    if (caps.size() < 4 &&
        std::find(caps.begin(), caps.end(), report.heap_cap_bytes) == caps.end()) {
      caps.push_back(report.heap_cap_bytes);
    }
  }
  if (report.status == RunStatus::kOk) return;
  const std::string message = shortened(message_of(report), kMaxTextBytes);
  auto group = std::find_if(groups_.begin(), groups_.end(), [&](const Group& g) {
    return g.status == status && g.message == message;
  });
  if (group == groups_.end()) {
    if (groups_.size() >= kMaxGroups) {
      ++ungrouped_failures_;
      return;
    }
    failure_text_bytes_ += message.size();
    group = groups_.insert(groups_.end(), Group{status, message, 0, {}});
  }
  ++group->count;
  if (group->examples.size() < kExamplesPerGroup) {
    Example example{report.script, {}};
    for (std::size_t i = 0; i < report.output.size() && i < kOutputLinesPerExample &&
                            failure_text_bytes_ < kFailureTextBytes;
         ++i) {
      example.output.push_back(shortened(report.output[i], kMaxTextBytes));
      failure_text_bytes_ += example.output.back().size();
    }
    if (report.output.size() > kOutputLinesPerExample) {
      example.output.push_back(fmt::format("… {} more lines",
                                           report.output.size() - kOutputLinesPerExample));
    }
    group->examples.push_back(std::move(example));
  }
}

std::string HtmlReport::page(const BatchSummary& summary, const std::string& title) const {
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>krepis: {0}</title><style>{1}</style></head><body>\n"
      "<h1>krepis batch report</h1><p class=\"sub\" id=\"title\">{0}</p>\n",
      html_escape(title), kStyle);
  const double seconds = summary.elapsed_ms / 1000.0;
  std::string shards;
  if (summary.shards > 1) shards = fmt::format("; {} shards merged", summary.shards);
  if (!summary.shard.empty()) shards = "; shard " + html_escape(summary.shard);
  if (!shards.empty() && !summary.plan.empty()) {
    shards += fmt::format(", plan <code>{}</code>", html_escape(summary.plan));
  }
  html += fmt::format(
      "<p id=\"overview\">{} in {:.2f} s ({:.1f} jobs/s) on {}{}{}{}</p>\n",
      counted(summary.jobs(), "job"), seconds,
      seconds > 0 ? static_cast<double>(summary.jobs()) / seconds : 0.0,
      counted(summary.workers, "worker"), shards,
      summary.skipped_files > 0 ? fmt::format("; {} skipped", counted(summary.skipped_files, "file"))
                                : "",
      summary.interrupted ? fmt::format("; <b>interrupted</b>: {} not started",
                                        counted(summary.not_started, "job"))
                          : "");

  html += "<h2>Status</h2><div class=\"counts\">";
  for (RunStatus status : kRunStatuses) {
    const std::string name(to_string(status));
    auto found = summary.counts.find(name);
    html += fmt::format(
        "<div class=\"count {0}\"><b id=\"count-{0}\">{1}</b>{0}</div>", name,
        found == summary.counts.end() ? 0 : found->second);
  }
  html += "</div>\n<h2>Tenants</h2><table id=\"tenants\"><tr><th>tenant</th><th>jobs</th>";
  for (RunStatus status : kRunStatuses) html += fmt::format("<th>{}</th>", to_string(status));
  html += "<th>heap cap</th></tr>";
  std::vector<std::pair<std::size_t, const std::string*>> by_jobs;
  for (const auto& [tenant, counts] : summary.tenants) {
    std::size_t total = 0;
    for (const auto& entry : counts) total += entry.second;
    by_jobs.emplace_back(total, &tenant);
  }
  std::stable_sort(by_jobs.begin(), by_jobs.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t row = 0; row < by_jobs.size() && row < kTenantRows; ++row) {
    const auto& [total, name] = by_jobs[row];
    const std::string& tenant = *name;
    const auto& counts = summary.tenants.at(tenant);
    html += fmt::format("<tr><td>{}</td><td>{}</td>", html_escape(tenant), total);
    for (RunStatus status : kRunStatuses) {
      auto found = counts.find(std::string(to_string(status)));
      html += fmt::format("<td>{}</td>", found == counts.end() ? 0 : found->second);
    }
    std::string caps;
    if (auto found = heap_caps_.find(tenant); found != heap_caps_.end()) {
      for (std::size_t cap : found->second) caps += (caps.empty() ? "" : ", ") + mebibytes(cap);
    }
    html += fmt::format("<td>{}</td></tr>", caps.empty() ? "–" : caps);
  }
  html += "</table>\n";
  if (by_jobs.size() > kTenantRows) {
    html += fmt::format("<p>and {} more, with fewer jobs</p>\n",
                        counted(by_jobs.size() - kTenantRows, "tenant"));
  }

  const BatchSummary::Percentiles wall = summary.wall_percentiles();
  std::vector<double> wall_ms;
  std::vector<double> heap_mib;
  for (const Job& job : jobs_) {
    if (job.status == "denied") continue;
    // A report read back from a file may hold any number: charts take finite ones of 0 up.
    wall_ms.push_back(std::isfinite(job.wall_ms) ? std::max(job.wall_ms, 0.0) : 0.0);
    heap_mib.push_back(static_cast<double>(job.heap_peak_bytes) / (1024.0 * 1024.0));
  }
  html += "<h2>Latency</h2>";
  html += histogram(wall_ms, "wall time per job", {{"p50", wall.p50}, {"p90", wall.p90},
                                                    {"p99", wall.p99}},
                    &ms_label);
  html += fmt::format("<p id=\"percentiles\">p50 {} · p90 {} · p99 {} · max {}</p>\n",
                      milliseconds(wall.p50), milliseconds(wall.p90), milliseconds(wall.p99),
                      milliseconds(wall.max));
  html += "<h2>Heap peaks</h2>";
  std::vector<double> sorted_heap = heap_mib;
  std::sort(sorted_heap.begin(), sorted_heap.end());
  std::vector<Marker> heap_markers;
  if (!sorted_heap.empty()) {
    heap_markers.push_back({"p50", sorted_heap[(sorted_heap.size() - 1) / 2]});
    heap_markers.push_back({"max", sorted_heap.back()});
  }
  html += histogram(heap_mib, "heap peak per job", heap_markers, &mib_label);

  html += "\n<h2>Slowest jobs</h2><table id=\"slowest\"><tr><th>job</th><th>status</th>"
          "<th>wall</th><th>heap peak</th></tr>";
  std::vector<const Job*> slowest;
  for (const Job& job : jobs_) slowest.push_back(&job);
  const std::size_t shown = std::min(kSlowestJobs, slowest.size());
  std::partial_sort(slowest.begin(), slowest.begin() + static_cast<std::ptrdiff_t>(shown),
                    slowest.end(), [](const Job* a, const Job* b) { return a->wall_ms > b->wall_ms; });
  for (std::size_t i = 0; i < shown; ++i) {
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        html_escape(slowest[i]->name), slowest[i]->status,
                        milliseconds(slowest[i]->wall_ms), mebibytes(slowest[i]->heap_peak_bytes));
  }
  html += "</table>\n<h2>Failures</h2>";
  if (groups_.empty()) html += "<p id=\"no-failures\">none: every job ended ok.</p>";
  std::vector<const Group*> by_count;
  for (const Group& group : groups_) by_count.push_back(&group);
  std::stable_sort(by_count.begin(), by_count.end(),
                   [](const Group* a, const Group* b) { return a->count > b->count; });
  for (const Group* group : by_count) {
    html += fmt::format("<details class=\"failure {}\"><summary><b>{}</b> × {}: {}</summary>",
                        group->status, group->count, group->status, html_escape(group->message));
    for (const Example& example : group->examples) {
      html += fmt::format("<p>{}</p>", html_escape(example.job));
      if (!example.output.empty()) {
        std::string output;
        for (const std::string& line : example.output) output += html_escape(line) + "\n";
        html += fmt::format("<pre>{}</pre>", output);
      }
    }
    html += "</details>";
  }
  if (ungrouped_failures_ > 0) {
    html += fmt::format("<p>and {} in more groups than the {} shown</p>",
                        counted(ungrouped_failures_, "failure"), kMaxGroups);
  }
  html += "\n<h2>Pools</h2><table id=\"pool\">";
  visit_pool_figures(summary.pool, [&](const ReportField& field, std::size_t value) {
    if (field.shown == ReportField::Shown::kAlways) {
      html += fmt::format("<tr><td>{}</td><td>{}</td></tr>", field.name, value);
    }
  });
  html += "</table>\n</body></html>\n";
  return html;
}

std::optional<std::string> page_path_problem(const std::string& path,
                                             const std::vector<std::string>& inputs,
                                             const std::string& beneath) {
  std::error_code error;
  const std::filesystem::path target(path);
  if (std::filesystem::is_directory(target, error)) return fmt::format("{}: is a folder", path);
  const std::filesystem::path folder = target.parent_path().empty() ? "." : target.parent_path();
  if (!std::filesystem::is_directory(folder, error)) {
    return fmt::format("{}: the folder {} does not exist", path, folder.string());
  }
  struct stat file {};
  if (::stat(path.c_str(), &file) == 0) {
    for (int stream : {STDOUT_FILENO, STDERR_FILENO}) {
      if (same_file_as(file, stream)) {
        return fmt::format("{}: is {}'s file too", path, stream == STDOUT_FILENO ? "stdout" : "stderr");
      }
    }
    if (const std::string* input = same_file_among(file, inputs)) {
      return fmt::format("{}: is {}, which krepis reads: it would be overwritten", path, *input);
    }
  }
  if (!beneath.empty()) {
    const std::filesystem::path inside =
        std::filesystem::weakly_canonical(std::filesystem::absolute(folder, error), error);
    const std::filesystem::path jobs = std::filesystem::canonical(beneath, error);
    if (!error && std::mismatch(jobs.begin(), jobs.end(), inside.begin(), inside.end()).first ==
                      jobs.end()) {
      return fmt::format("{}: is inside the batch's folder {}, whose files are jobs", path,
                         beneath);
    }
  }
  // Writable? A file made beside it and removed says so now, not after the batch.
  const std::filesystem::path probe = folder / fmt::format(".krepis-{:08x}", std::random_device()());
  UniqueFd fd(::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return fmt::format("{}: {}", path, std::strerror(errno));
  ::unlink(probe.c_str());
  return std::nullopt;
}

bool write_page(const std::string& path, const std::string& page, std::string& error) {
  const std::filesystem::path target(path);
  std::random_device random;
  // A short name: one beside a file whose own name is near the limit still fits.
  const std::filesystem::path temporary =
      (target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path()) /
      fmt::format(".krepis-{:08x}", random());
  // A page replacing another keeps its mode (a 0600 page stays private).
  struct stat existing {};
  const mode_t mode = ::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)
                          ? (existing.st_mode & 07777)
                          : 0644;
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                     mode));
  if (!fd.valid()) {
    error = fmt::format("{}: {}", path, std::strerror(errno));
    return false;
  }
  if (::fchmod(fd.get(), mode) != 0) {
    error = fmt::format("{}: {}", path, std::strerror(errno));
    ::unlink(temporary.c_str());
    return false;
  }
  std::size_t done = 0;
  while (done < page.size()) {
    const ssize_t wrote = ::write(fd.get(), page.data() + done, page.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      error = fmt::format("{}: {}", path, std::strerror(errno));
      ::unlink(temporary.c_str());
      return false;
    }
    done += static_cast<std::size_t>(wrote);
  }
  if (::fsync(fd.get()) != 0 || ::rename(temporary.c_str(), target.c_str()) != 0) {
    error = fmt::format("{}: {}", path, std::strerror(errno));
    ::unlink(temporary.c_str());
    return false;
  }
  return true;
}

}  // namespace krepis::cli

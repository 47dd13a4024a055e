#include "core/base/report.h"

#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "core/base/pool_figures.h"
#include "core/batch/batch_summary.h"
#include "core/batch/worker_wire.h"

namespace krepis {
namespace {

TEST_CASE("the JSON line has the contract's fields with their types") {
  RunReport report;
  report.tenant = "default";
  report.script = "a.js";
  report.wall_ms = 1.5;
  report.cpu_ms = 1.25;
  report.heap_used_bytes = 100;
  report.heap_peak_bytes = 200;
  report.heap_cap_bytes = 300;
  report.external_bytes = 4;
  report.warm = true;
  report.result_json = R"({"x":[1,"a"]})";
  report.output = {"hello"};
  std::string line = json_line(report);
  CHECK(line.find('\n') == std::string::npos);
  auto json = nlohmann::json::parse(line, nullptr, true, false);
  CHECK(json["tenant"] == "default");
  CHECK(json["script"] == "a.js");
  CHECK(json["status"] == "ok");
  CHECK(json["wall_ms"].is_number());
  CHECK(json["cpu_ms"].is_number());
  CHECK(json["heap_used_bytes"] == 100);
  CHECK(json["heap_peak_bytes"] == 200);
  CHECK(json["external_bytes"] == 4);
  CHECK(json["isolate"] == "warm");
  CHECK(json["output"] == nlohmann::json::array({"hello"}));
  CHECK(json["result"]["x"][0] == 1);
  CHECK_FALSE(json.contains("error"));
  CHECK_FALSE(json.contains("stopped_by"));
}

// json_line writes plain strings and times itself: its text must be what nlohmann writes of
// the same value (the line's format before it did), for every kind of string and time.
TEST_CASE("strings and times are written as nlohmann writes them") {
  const auto nlohmann_text = [](const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  SUBCASE("strings") {
    std::vector<std::string> texts = {"",       "default", "t3/0010.js", "a\"b",   "back\\slash",
                                      "tab\there", "\x01",    "\x7f",       "caf\xc3\xa9", "\xff\xfe",
                                      "line\u2028", std::string(1, '\0'), "~ !#$%&'()*+"};
    std::mt19937 random(20261201);
    for (int i = 0; i < 2000; ++i) {
      std::string text(random() % 12, ' ');
      for (char& c : text) c = static_cast<char>(random() % 256);
      texts.push_back(text);
    }
    for (const std::string& text : texts) {
      CAPTURE(text);
      RunReport report;
      report.tenant = text;
      report.error = text;
      report.output = {text, "x", text};
      const std::string line = json_line(report);
      const std::string tenant = nlohmann_text(text);
      const std::string output = nlohmann_text(nlohmann::json::array({text, "x", text}));
      if ((tenant + output).find_first_of("\xC2\xE2") == std::string::npos) {
        CHECK(line.starts_with("{\"tenant\":" + tenant + ",\"script\":"));
        CHECK(line.ends_with(",\"error\":" + tenant + ",\"output\":" + output + "}"));
      } else {
        // The line's C1 controls and U+2028/9 are escaped afterwards: the same JSON, other text.
        const auto json = nlohmann::json::parse(line);
        CHECK(json["tenant"] == nlohmann::json::parse(tenant));
        CHECK(json["error"] == nlohmann::json::parse(tenant));
        CHECK(json["output"] == nlohmann::json::parse(output));
      }
    }
  }
  SUBCASE("times") {
    std::vector<double> times = {0.0, -0.0, 0.001, 0.0005, 0.1, 1.0, 2.5, 1.393, 1000.0, 12345.678,
                                 99999999.999, 1e14, 1e15, 1e16, 1e300, -3.25,
                                 // Past 2^43 ms, where fmt and nlohmann pick other digits.
                                 80363338222567.375, 8798719989492.0625};
    std::mt19937_64 random(20261201);
    for (int i = 0; i < 20000; ++i) {
      // Rounded to the microsecond, as json_line rounds: from 1 us to ~3 hours.
      const double ms = static_cast<double>(random() % 10'000'000'000ULL) / 1000.0;
      times.push_back(ms);
      times.push_back(static_cast<double>(random() % 100'000) / 1000.0);
    }
    for (double ms : times) {
      CAPTURE(ms);
      RunReport report;
      report.wall_ms = ms;
      const std::string line = json_line(report);
      CHECK(line.find(",\"wall_ms\":" + nlohmann_text(std::round(ms * 1000.0) / 1000.0) +
                      ",\"cpu_ms\":") != std::string::npos);
    }
  }
}

TEST_CASE("the result is spliced as V8 wrote it, lone-surrogate escapes included") {
  RunReport report;
  report.result_json = R"("\ud800")";
  std::string line = json_line(report);
  CHECK(line.ends_with(R"(,"result":"\ud800"})"));
}

TEST_CASE("a stopped run names its guard and has no result") {
  RunReport report;
  report.status = RunStatus::kTimeout;
  report.stopped_by = StopReason::kDeadline;
  report.error = "deadline of 100 ms exceeded";
  auto json = nlohmann::json::parse(json_line(report));
  CHECK(json["status"] == "timeout");
  CHECK(json["stopped_by"] == "deadline");
  CHECK(json["error"] == "deadline of 100 ms exceeded");
  CHECK_FALSE(json.contains("result"));
  CHECK_FALSE(json.contains("output"));
}

TEST_CASE("exit statuses follow the contract, the highest wins") {
  CHECK(exit_status_for(RunStatus::kOk) == 0);
  CHECK(exit_status_for(RunStatus::kError) == 1);
  CHECK(exit_status_for(RunStatus::kOom) == 3);
  CHECK(exit_status_for(RunStatus::kDenied) == 4);
  CHECK(exit_status_for(RunStatus::kCrashed) == 4);
  CHECK(exit_status_for(RunStatus::kTimeout) == 124);
  CHECK(combine_exit_status(1, 3) == 3);
  CHECK(combine_exit_status(124, 4) == 124);
}

TEST_CASE("human sizes") {
  CHECK(human_bytes(512) == "512 B");
  CHECK(human_bytes(1536) == "1.5 KiB");
  CHECK(human_bytes(128 * 1024 * 1024) == "128.0 MiB");
}

}  // namespace
}  // namespace krepis

namespace krepis {
namespace {

// A report with every field of the schema set to something other than its default; the
// first check below fails when a new field is added to the schema and not here.
RunReport every_field_set() {
  RunReport report;
  report.tenant = "acme";
  report.script = "jobs/\"quoted\" \xc3\xa9.js";
  report.status = RunStatus::kTimeout;
  report.wall_ms = 50.25;
  report.cpu_ms = 49.5;
  report.heap_used_bytes = 1'000'001;
  report.heap_peak_bytes = 2'000'002;
  report.heap_cap_bytes = 64 * 1024 * 1024;
  report.external_bytes = 3;
  report.warm = true;
  report.error = "deadline of 50 ms exceeded";
  report.stopped_by = StopReason::kDeadline;
  report.error_source = "  while (true) {}\n  ^";
  report.stack = "    at spin (job.js:2:3)\n    at job.js:5:1";
  report.causes = {"Error: inner", "TypeError: innermost"};
  report.hint = "tier 'free' does not grant fs.read (the script calls krepis.fs.readText)";
  report.output = {"first line", "second\tline"};
  report.output_levels = {"log", "warn"};
  report.output_truncated = true;
  report.result_type = "object";
  report.result_from = "default export";
  report.result_json = R"({"a":[1,"x",null],"b":{"c":true}})";
  report.result_text = "{ a: [ 1, 'x', null ], b: { c: true } }";
  return report;
}

TEST_CASE("a report with every field crosses wire, JSON line and summarize unchanged") {
  const RunReport sent = every_field_set();
#define KREPIS_CHECK_SET(type, member, ...) \
  CHECK_MESSAGE(!(sent.member == RunReport{}.member), "not set here: " #member);
  KREPIS_REPORT_FIELDS(KREPIS_CHECK_SET)
#undef KREPIS_CHECK_SET

  // Worker to parent: every field, the wire-only ones included.
  PoolFigures figures;
  std::size_t n = 1;
  visit_pool_figures(figures, [&](const ReportField&, std::size_t& value) { value = n++; });
  std::optional<WorkerReply> reply = decode_reply(encode_reply({sent, figures, true}));
  REQUIRE(reply.has_value());
  const RunReport& received = reply->report;
#define KREPIS_CHECK_SAME(type, member, ...) CHECK_MESSAGE(received.member == sent.member, #member);
  KREPIS_REPORT_FIELDS(KREPIS_CHECK_SAME)
#undef KREPIS_CHECK_SAME
  visit_pool_figures(reply->figures,
                     [&, i = std::size_t{1}](const ReportField& field, std::size_t value) mutable {
                       CHECK_MESSAGE(value == i++, field.name);
                     });
  CHECK(reply->last);

  // Parent to stdout and back, as `krepis summarize` reads it: every field the line shows.
  std::optional<RunReport> parsed =
      report_from_json(nlohmann::json::parse(json_line(received), nullptr, true, false));
  REQUIRE(parsed.has_value());
#define KREPIS_CHECK_LINE(type, member, name, doc_type, shown, coding)                           \
  if (ReportField::Shown::shown == ReportField::Shown::kWireOnly) {                              \
    CHECK_MESSAGE(parsed->member == RunReport{}.member, "a wire-only field in the line: " name); \
  } else {                                                                                       \
    CHECK_MESSAGE(parsed->member == sent.member, name);                                          \
  }
  KREPIS_REPORT_FIELDS(KREPIS_CHECK_LINE)
#undef KREPIS_CHECK_LINE

  BatchSummary summary;
  summary.shards = 0;
  CHECK(summary.merge_line(nlohmann::json::parse(json_line(received))));
  CHECK(summary.counts["timeout"] == 1);
  CHECK(summary.tenants["acme"]["timeout"] == 1);
  REQUIRE(summary.wall_ms.size() == 1);
  CHECK(summary.wall_ms[0] == 50.25);
  CHECK(summary.exit_status == 124);
}

TEST_CASE("a summary's pool figures cross its JSON and merge back") {
  BatchSummary batch;
  std::size_t n = 1;
  visit_pool_figures(batch.pool, [&](const ReportField&, std::size_t& value) { value = n++; });
  BatchSummary merged;
  merged.shards = 0;
  CHECK(merged.merge_line(batch.to_json()));
  visit_pool_figures(merged.pool, [&](const ReportField& field, std::size_t value) {
    CAPTURE(field.name);
    if (field.shown == ReportField::Shown::kAlways) {
      CHECK(value > 0);
    } else {
      CHECK(value == 0);  // not in the summary's JSON
    }
  });
  CHECK(merged.pool.cold_starts == batch.pool.cold_starts);
  CHECK(batch.to_json()["summary"]["pool"]["misses"] == batch.pool.cold_starts);
}

TEST_CASE("every status has one name, one exit status, and parses back") {
  for (RunStatus status : kRunStatuses) {
    CAPTURE(to_string(status));
    CHECK(parse_status(to_string(status)) == status);
  }
  for (StopReason reason : kStopReasons) {
    CHECK(parse_stop_reason(to_string(reason)) == reason);
  }
  CHECK_FALSE(parse_status("fine").has_value());
}

}  // namespace
}  // namespace krepis

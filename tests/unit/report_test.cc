#include "core/base/report.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

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

TEST_CASE("exit statuses follow the contract; the highest wins") {
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

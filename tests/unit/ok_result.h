// The result of a run a test expects to succeed, for the fixtures that run code on a sandbox.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "core/base/run_report.h"

namespace krepis::test {

// The run's result JSON; a run that did not succeed fails the test, naming its code and
// error.
inline std::string ok_result(const RunReport& report, const std::string& code) {
  INFO("code: " << code);
  INFO("error: " << report.error.value_or(""));
  CHECK(report.status == RunStatus::kOk);
  return report.result_json.value_or("<none>");
}

}  // namespace krepis::test

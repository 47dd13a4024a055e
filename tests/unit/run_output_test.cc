#include "core/base/run_output.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace krepis {
namespace {

TEST_CASE("output past the line cap is dropped and the drop is marked") {
  std::vector<std::string> live;
  LiveOutput sink = [&](LogLevel, std::string_view entry) { live.emplace_back(entry); };
  RunOutput output(&sink, OutputCaps{1024, 3});
  output.add(LogLevel::kLog, "one");
  output.add(LogLevel::kLog, "two\nthree");
  output.add(LogLevel::kLog, "four");  // the 4th line: over the cap
  CHECK_FALSE(output.accepting());
  output.drop();
  std::vector<std::string> entries = output.take();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0] == "one");
  CHECK(entries[1] == "two\nthree");
  CHECK(entries[2].find("truncated: 2 more entries dropped") != std::string::npos);
  REQUIRE(live.size() == 3);  // two entries, then one notice of the cap
  CHECK(live[2].find("output cap reached") != std::string::npos);
}

TEST_CASE("output past the byte cap is dropped") {
  RunOutput output(nullptr, OutputCaps{10, 100});
  output.add(LogLevel::kLog, "12345");
  output.add(LogLevel::kLog, "123456");
  std::vector<std::string> entries = output.take();
  REQUIRE(entries.size() == 2);
  CHECK(entries[1].find("1 more entry dropped") != std::string::npos);
}

}  // namespace
}  // namespace krepis

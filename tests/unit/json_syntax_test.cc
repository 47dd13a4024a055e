// json_syntax_error agrees with V8's JSON.parse, where tests/fuzz/json_input found it did not,
// and says where a mistake is.
#include "core/base/json_syntax.h"

#include <doctest/doctest.h>

#include <string>

namespace krepis {
namespace {

bool accepted(const std::string& text) { return !json_syntax_error("in.json", text); }

TEST_CASE("what V8 accepts is accepted, though nlohmann alone would refuse it") {
  // Numbers past a double's range: V8 reads Infinity (nlohmann threw out_of_range, uncaught).
  CHECK(accepted("1e999"));
  CHECK(accepted("[-1e999, " + std::string(400, '9') + "]"));
  // \\u escapes of unpaired surrogates: V8 keeps them in the string.
  CHECK(accepted(R"(["\ud800", "\udc00x", "a\ud83d", "\ud83d\ude00"])"));
  CHECK(accepted(R"({"\ud800": "\\ud800"})"));
}

TEST_CASE("what V8 refuses is refused, with the line and column") {
  // nlohmann took a NUL byte for the end of the input.
  auto nul = json_syntax_error("in.json", std::string("{}\n\0x", 5));
  REQUIRE(nul);
  CHECK(*nul == "in.json: not valid JSON: a NUL byte at line 2, column 1");
  // A broken number stays broken when a later one is made harmless.
  for (const char* text :
       {"5.-8.565", "--47", "58e--7", "1.e5", "-", "1e999.5", "[1e999,]", "\"\\ud800\\u12\""}) {
    CAPTURE(text);
    auto refusal = json_syntax_error("in.json", text);
    REQUIRE(refusal);
    CHECK(refusal->starts_with("in.json: not valid JSON: "));
    CHECK(refusal->find("line 1, column ") != std::string::npos);
  }
  auto later = json_syntax_error("in.json", "[1e999,\n 2,\n x]");
  REQUIRE(later);
  CHECK(later->find("line 3, column 2") != std::string::npos);
}

}  // namespace
}  // namespace krepis

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
  CHECK(*nul == "in.json: not valid JSON at line 2, column 1: a NUL byte");
  // A broken number stays broken when a later one is made harmless.
  for (const char* text :
       {"5.-8.565", "--47", "58e--7", "1.e5", "-", "1e999.5", "[1e999,]", "\"\\ud800\\u12\""}) {
    CAPTURE(text);
    auto refusal = json_syntax_error("in.json", text);
    REQUIRE(refusal);
    CHECK(refusal->starts_with("in.json: not valid JSON at line 1, column "));
    CHECK(refusal->find("json.exception") == std::string::npos);
  }
  auto later = json_syntax_error("in.json", "[1e999,\n 2,\n x]");
  REQUIRE(later);
  CHECK(later->find("line 3, column 2") != std::string::npos);
}

TEST_CASE("a refusal is in krepis's words: where, what, and what was expected") {
  const std::pair<const char*, const char*> cases[] = {
      {"{\n  oops",
       "in.json: not valid JSON at line 2, column 3: not a JSON value, in an object key (expected "
       "a string)"},
      {"{\"a\" 1}",
       "in.json: not valid JSON at line 1, column 6: an unexpected number, after an object key "
       "(expected ':')"},
      {"[1, 2",
       "in.json: not valid JSON at line 1, column 6: the text ends too soon, in an array (expected "
       "']')"},
      {"1 2",
       "in.json: not valid JSON at line 1, column 3: an unexpected number (expected nothing more)"},
      {"[1,]", "in.json: not valid JSON at line 1, column 4: unexpected ']' (expected a value)"},
      {"\"abc",
       "in.json: not valid JSON at line 1, column 5: invalid string: missing closing quote"},
  };
  for (const auto& [text, message] : cases) {
    CAPTURE(text);
    CHECK(json_syntax_error("in.json", text) == std::optional<std::string>(message));
  }
  // A broken string of a megabyte: nlohmann's message carries all of it, and reading that
  // with std::regex once overflowed the stack.
  const std::string long_string = "[\"" + std::string(1 << 20, 'a');
  CHECK(json_syntax_error("in.json", long_string) ==
        std::optional<std::string>(
            "in.json: not valid JSON at line 1, column 1048579: invalid string: missing closing "
            "quote"));
}

}  // namespace
}  // namespace krepis

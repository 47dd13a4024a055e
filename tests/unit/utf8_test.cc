#include "core/base/utf8.h"

#include <doctest/doctest.h>

namespace krepis {
namespace {

TEST_CASE("well-formed UTF-8 passes") {
  CHECK_FALSE(first_invalid_utf8("").has_value());
  CHECK_FALSE(first_invalid_utf8("plain ascii").has_value());
  CHECK_FALSE(first_invalid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80").has_value());
}

TEST_CASE("ill-formed UTF-8 is found at its first bad byte") {
  CHECK(first_invalid_utf8("ab\xFF") == 2u);
  CHECK(first_invalid_utf8("\xC0\xAF") == 0u);          // overlong '/'
  CHECK(first_invalid_utf8("x\xED\xA0\x80") == 1u);     // a surrogate
  CHECK(first_invalid_utf8("\xF4\x90\x80\x80") == 0u);  // past U+10FFFF
  CHECK(first_invalid_utf8("ok\xE2\x82") == 2u);        // truncated
}

TEST_CASE("names that differ only in bytes that are not UTF-8 stay apart once escaped") {
  CHECK(escape_invalid_utf8("plain/h\xC3\xA9.js") == "plain/h\xC3\xA9.js");
  CHECK(escape_invalid_utf8("a\xFF.js") == "a\\xFF.js");
  CHECK(escape_invalid_utf8("a\xFE.js") == "a\\xFE.js");
  CHECK(escape_invalid_utf8("\xED\xA0\x80") == "\\xED\\xA0\\x80");  // a surrogate, byte by byte
  // A backslash is escaped too, so a real "\xFF" in a name cannot pass for the byte.
  CHECK(escape_invalid_utf8("a\\xFF.js") == "a\\\\xFF.js");
}

TEST_CASE("positions are 1-based lines and columns") {
  TextPosition at = position_of("ab\ncd\xFF", 5);
  CHECK(at.line == 2);
  CHECK(at.column == 3);
}

TEST_CASE("one_line shows control characters as escapes, and nothing else changes") {
  CHECK(one_line("a\nok      forged.js") == "a\\nok      forged.js");
  CHECK(one_line("tab\there\r\x1b[2J\x7f") == "tab\\there\\r\\x1B[2J\\x7F");
  // C1 controls (NEL, CSI) and the line separators, which some terminals and readers obey.
  CHECK(one_line("a\u0085b\u009b2Jc\u2028d\u2029") == "a\\u0085b\\u009B2Jc\\u2028d\\u2029");
  CHECK(one_line("caf\u00e9 \u4e2d 'q\" \\") == "caf\u00e9 \u4e2d 'q\" \\");
}

TEST_CASE("character_start backs off to the start of a character, never past the text") {
  const std::string text = "a\u00e9\U0001F600";  // 1, 2 and 4 bytes
  CHECK(character_start(text, 0) == 0);
  CHECK(character_start(text, 2) == 1);
  CHECK(character_start(text, 5) == 3);
  CHECK(character_start(text, 7) == 7);
  CHECK(character_start(text, 99) == 99);
}

TEST_CASE("shortened keeps whole characters and says it cut") {
  CHECK(shortened("short", 5) == "short");
  CHECK(shortened("shorter", 5) == "short…");
  CHECK(shortened("ab\xC3\xBC", 3) == "ab…");  // ü is two bytes: not cut in two
  CHECK(shortened("", 0).empty());
}

}  // namespace
}  // namespace krepis

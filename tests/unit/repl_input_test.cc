// When the REPL asks for another line: open brackets, templates and comments.
#include "cli/repl_input.h"

#include <doctest/doctest.h>

namespace krepis::cli {
namespace {

TEST_CASE("complete entries run at once") {
  CHECK_FALSE(is_incomplete("1 + 1\n"));
  CHECK_FALSE(is_incomplete("const o = {a: [1, 2]}\n"));
  CHECK_FALSE(is_incomplete("'{' + \"[\" + `(`\n"));
  CHECK_FALSE(is_incomplete("// a comment with {\n"));
  CHECK_FALSE(is_incomplete("/* a { */ 1\n"));
  CHECK_FALSE(is_incomplete("`a ${ {b: 1}.b } c`\n"));
  CHECK_FALSE(is_incomplete("'unterminated\n"));  // V8 reports it; more lines would not help
  CHECK_FALSE(is_incomplete("}\n"));              // likewise a stray closer
  CHECK_FALSE(is_incomplete("'it\\'s {'\n"));
}

TEST_CASE("open constructs ask for more") {
  CHECK(is_incomplete("function f() {\n"));
  CHECK(is_incomplete("[1,\n"));
  CHECK(is_incomplete("call(a,\n"));
  CHECK(is_incomplete("`multi\nline\n"));
  CHECK(is_incomplete("`a ${ 1 +\n"));
  CHECK(is_incomplete("/* open comment\n"));
  CHECK(is_incomplete("if (x) { y('}')\n"));
}

}  // namespace
}  // namespace krepis::cli

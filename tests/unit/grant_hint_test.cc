// missing_grant_hint: the operator's hint when a script fails on an op its tier lacks.
#include "core/runtime/grant_hint.h"

#include <doctest/doctest.h>

namespace krepis {
namespace {

const std::string kTypeError =
    "job.js:1:21: Uncaught TypeError: Cannot read properties of undefined (reading 'readText')";

TEST_CASE("a TypeError on a line that calls an op the tier lacks names the grant and the tier") {
  CHECK(missing_grant_hint(kTypeError, "const x = krepis.fs.readText('a')", "free", {}) ==
        "tier 'free' does not grant fs.read (the script calls krepis.fs.readText)");
  // fs.read granted, fs.write not: krepis.fs exists, writeText is not a function.
  CHECK(missing_grant_hint("x.js:1:11: Uncaught TypeError: krepis.fs.writeText is not a function",
                           "krepis.fs.writeText('a', 'b')", "pro", {"fs.read", "env"}) ==
        "tier 'pro' does not grant fs.write (the script calls krepis.fs.writeText)");
  CHECK(missing_grant_hint(kTypeError, "krepis.env.get('A')", "free", {"fs.read"}) ==
        "tier 'free' does not grant env (the script calls krepis.env)");
}

TEST_CASE("no hint when the grant is there, the error is another, or the line calls no op") {
  CHECK_FALSE(missing_grant_hint(kTypeError, "krepis.fs.readText('a')", "pro", {"fs.read"}));
  CHECK_FALSE(
      missing_grant_hint("x.js:1:1: Uncaught Error: nope", "krepis.fs.readText('a')", "free", {}));
  CHECK_FALSE(missing_grant_hint(kTypeError, "undefined.readText", "free", {}));
}

}  // namespace
}  // namespace krepis

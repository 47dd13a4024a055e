// The parts of the confinement a test process can check without confining itself: the
// allow-list names real calls, and the first step refuses a process that has threads
// already (it would leave them unconfined). The confinement itself is shown end to end
// (tests/e2e/sandbox_test.cc, run_command_test.cc).
#include "core/runtime/confinement.h"

#include <doctest/doctest.h>
#include <seccomp.h>

#include <string>

#include "core/runtime/syscall_filter.h"

namespace krepis {
namespace {

TEST_CASE("the first step of the confinement refuses a process that already has threads") {
  // This process runs V8's threads (and doctest's): nothing is changed, an error says why.
  Result<Done> confined = confine_before_threads(ConfinementPolicy{});
  REQUIRE_FALSE(confined.ok());
  CHECK(confined.error().message.find("already runs") != std::string::npos);
}

TEST_CASE("every call on the allow-list is a real one on this architecture") {
  for (const char* name : allowed_system_calls()) {
    CAPTURE(name);
#if defined(__x86_64__)
    CHECK(seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR);
#endif
  }
  CHECK(allowed_system_calls().size() > 50);
}

}  // namespace
}  // namespace krepis

// What one run did and cost: the value every layer above the sandbox passes around.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/report_schema.h"

namespace krepis {

// The contract's statuses, each with its name and the exit status it implies (the highest of
// a set of runs wins): the one list every other list of statuses is made from.
#define KREPIS_RUN_STATUSES(STATUS) \
  STATUS(kOk, "ok", 0)              \
  STATUS(kError, "error", 1)        \
  STATUS(kTimeout, "timeout", 124)  \
  STATUS(kOom, "oom", 3)            \
  STATUS(kDenied, "denied", 4)      \
  STATUS(kCrashed, "crashed", 4)

// The guard that stopped a run. Set once, by the first guard that fires; the run's status is
// derived from it, never guessed from symptoms afterwards. Each with its name in reports and
// the status it implies:
//   deadline         the watchdog's deadline passed
//   near_heap_limit  V8's heap reached its limit; the callback requested termination
//   heap_check       heap used + external bytes over the cap, after a GC or at the end
//   allocator        the ArrayBuffer allocator refused bytes past the cap
//   unsettled        the script's promise can never settle: no work is left that could
//   interrupted      the user asked (Ctrl-C in the REPL); the run ends as an error
//   condemned        the deadline passed and termination did not land within the grace (a
//                    builtin that checks no interrupts): the process running it was ended
#define KREPIS_STOP_REASONS(REASON)               \
  REASON(kNone, "", kOk)                          \
  REASON(kDeadline, "deadline", kTimeout)         \
  REASON(kNearHeapLimit, "near_heap_limit", kOom) \
  REASON(kHeapCheck, "heap_check", kOom)          \
  REASON(kAllocator, "allocator", kOom)           \
  REASON(kUnsettled, "unsettled", kTimeout)       \
  REASON(kInterrupted, "interrupted", kError)     \
  REASON(kCondemned, "condemned", kTimeout)

#define KREPIS_ENUMERATOR(name, ...) name,
enum class RunStatus { KREPIS_RUN_STATUSES(KREPIS_ENUMERATOR) };
enum class StopReason { KREPIS_STOP_REASONS(KREPIS_ENUMERATOR) };
#undef KREPIS_ENUMERATOR

// Every status, in the contract's order (summaries count them in it).
inline constexpr RunStatus kRunStatuses[] = {
#define KREPIS_LISTED(name, ...) RunStatus::name,
    KREPIS_RUN_STATUSES(KREPIS_LISTED)
#undef KREPIS_LISTED
};
inline constexpr StopReason kStopReasons[] = {
#define KREPIS_LISTED(name, ...) StopReason::name,
    KREPIS_STOP_REASONS(KREPIS_LISTED)
#undef KREPIS_LISTED
};

std::string_view to_string(RunStatus status);
std::string_view to_string(StopReason reason);
// The status or stop reason named `text`, if it is one.
std::optional<RunStatus> parse_status(std::string_view text);
std::optional<StopReason> parse_stop_reason(std::string_view text);

// Maps a stop reason to the status it implies; kNone maps to nothing.
std::optional<RunStatus> status_for(StopReason reason);

// What one run did and cost; the fields are report_schema.h's.
struct RunReport {
#define KREPIS_MEMBER(type, member, ...) type member{};
  KREPIS_REPORT_FIELDS(KREPIS_MEMBER)
#undef KREPIS_MEMBER
};

// A report for a job refused before anything of it ran.
RunReport denied_report(std::string tenant, std::string script, std::string why);
// A report for a job whose engine died, or could not be made, with no report of its own.
RunReport crashed_report(std::string tenant, std::string script, std::string why);

// The contract's exit status for a set of outcomes: the highest-numbered kind wins.
int exit_status_for(RunStatus status);
int combine_exit_status(int a, int b);

}  // namespace krepis

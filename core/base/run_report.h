// What one run did and cost: the value every layer above the sandbox passes around.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krepis {

// The contract's statuses (CLI-CONTRACT.md), in no particular order.
enum class RunStatus { kOk, kError, kTimeout, kOom, kDenied, kCrashed };

// The guard that stopped a run. Set once, by the first guard that fires; the run's status is
// derived from it, never guessed from symptoms afterwards.
enum class StopReason {
  kNone,
  kDeadline,       // the watchdog's deadline passed
  kNearHeapLimit,  // V8's heap reached its limit; the callback requested termination
  kHeapCheck,      // heap used + external bytes over the cap, measured after a GC or at the end
  kAllocator,      // the ArrayBuffer allocator refused bytes past the cap
  kUnsettled,      // the script's promise can never settle: no work is left that could settle it
  kInterrupted,    // the user asked (Ctrl-C in the REPL); the run ends as an error
};

std::string_view to_string(RunStatus status);
std::string_view to_string(StopReason reason);

// Maps a stop reason to the status it implies; kNone maps to nothing.
std::optional<RunStatus> status_for(StopReason reason);

struct RunReport {
  std::string tenant;
  std::string script;
  RunStatus status = RunStatus::kOk;
  StopReason stopped_by = StopReason::kNone;
  double wall_ms = 0;
  double cpu_ms = 0;
  std::size_t heap_used_bytes = 0;
  std::size_t heap_peak_bytes = 0;
  std::size_t heap_cap_bytes = 0;
  std::size_t external_bytes = 0;
  bool warm = false;
  // The completion value as JSON text (as V8's JSON.stringify wrote it); absent on failure.
  std::optional<std::string> result_json;
  // The result as console.log shows it; only when the job asked (Job::inspect_result).
  std::optional<std::string> result_text;
  std::optional<std::string> error;
  // What the script logged, capped; a final line says so when lines were dropped.
  std::vector<std::string> output;
};

// A report for a job refused before anything of it ran.
RunReport denied_report(std::string tenant, std::string script, std::string why);
// A report for a job whose engine died, or could not be made, with no report of its own.
RunReport crashed_report(std::string tenant, std::string script, std::string why);

// The contract's exit status for a set of outcomes: the highest-numbered kind wins.
int exit_status_for(RunStatus status);
int combine_exit_status(int a, int b);

}  // namespace krepis

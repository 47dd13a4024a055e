#include "core/base/run_report.h"

#include <utility>

namespace krepis {

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::kOk:
      return "ok";
    case RunStatus::kError:
      return "error";
    case RunStatus::kTimeout:
      return "timeout";
    case RunStatus::kOom:
      return "oom";
    case RunStatus::kDenied:
      return "denied";
    case RunStatus::kCrashed:
      return "crashed";
  }
  return "crashed";
}

std::string_view to_string(StopReason reason) {
  switch (reason) {
    case StopReason::kNone:
      return "";
    case StopReason::kDeadline:
      return "deadline";
    case StopReason::kNearHeapLimit:
      return "near_heap_limit";
    case StopReason::kHeapCheck:
      return "heap_check";
    case StopReason::kAllocator:
      return "allocator";
    case StopReason::kUnsettled:
      return "unsettled";
    case StopReason::kInterrupted:
      return "interrupted";
  }
  return "";
}

std::optional<RunStatus> status_for(StopReason reason) {
  switch (reason) {
    case StopReason::kNone:
      return std::nullopt;
    case StopReason::kDeadline:
    case StopReason::kUnsettled:
      return RunStatus::kTimeout;
    case StopReason::kNearHeapLimit:
    case StopReason::kHeapCheck:
    case StopReason::kAllocator:
      return RunStatus::kOom;
    case StopReason::kInterrupted:
      return RunStatus::kError;
  }
  return std::nullopt;
}

RunReport denied_report(std::string tenant, std::string script, std::string why) {
  RunReport report;
  report.tenant = std::move(tenant);
  report.script = std::move(script);
  report.status = RunStatus::kDenied;
  report.error = std::move(why);
  return report;
}

RunReport crashed_report(std::string tenant, std::string script, std::string why) {
  RunReport report = denied_report(std::move(tenant), std::move(script), std::move(why));
  report.status = RunStatus::kCrashed;
  return report;
}

int exit_status_for(RunStatus status) {
  switch (status) {
    case RunStatus::kOk:
      return 0;
    case RunStatus::kError:
      return 1;
    case RunStatus::kOom:
      return 3;
    case RunStatus::kDenied:
    case RunStatus::kCrashed:
      return 4;
    case RunStatus::kTimeout:
      return 124;
  }
  return 4;
}

int combine_exit_status(int a, int b) { return a > b ? a : b; }

}  // namespace krepis

#include "core/base/run_report.h"

#include <utility>

namespace krepis {

std::string_view to_string(RunStatus status) {
  switch (status) {
#define KREPIS_NAME(name, text, exit_status) \
  case RunStatus::name:                      \
    return text;
    KREPIS_RUN_STATUSES(KREPIS_NAME)
#undef KREPIS_NAME
  }
  return "crashed";
}

std::string_view to_string(StopReason reason) {
  switch (reason) {
#define KREPIS_NAME(name, text, status) \
  case StopReason::name:                \
    return text;
    KREPIS_STOP_REASONS(KREPIS_NAME)
#undef KREPIS_NAME
  }
  return "";
}

std::optional<RunStatus> parse_status(std::string_view text) {
  for (RunStatus status : kRunStatuses) {
    if (to_string(status) == text) return status;
  }
  return std::nullopt;
}

std::optional<StopReason> parse_stop_reason(std::string_view text) {
  for (StopReason reason : kStopReasons) {
    if (to_string(reason) == text) return reason;
  }
  return std::nullopt;
}

std::optional<RunStatus> status_for(StopReason reason) {
  if (reason == StopReason::kNone) return std::nullopt;
  switch (reason) {
#define KREPIS_STATUS(name, text, status) \
  case StopReason::name:                  \
    return RunStatus::status;
    KREPIS_STOP_REASONS(KREPIS_STATUS)
#undef KREPIS_STATUS
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
#define KREPIS_EXIT(name, text, exit_status) \
  case RunStatus::name:                      \
    return exit_status;
    KREPIS_RUN_STATUSES(KREPIS_EXIT)
#undef KREPIS_EXIT
  }
  return 4;
}

int combine_exit_status(int a, int b) { return a > b ? a : b; }

}  // namespace krepis

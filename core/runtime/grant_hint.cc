#include "core/runtime/grant_hint.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace krepis {
namespace {

struct GuardedOp {
  std::string_view call;   // as a script writes it
  std::string_view grant;  // what grants it (core/base/grants.h)
};

// The restricted ops, each with its grant. Longest first where one call starts another.
constexpr std::array<GuardedOp, 9> kGuardedOps{{
    {"krepis.fs.readText", "fs.read"},
    {"krepis.fs.readBytes", "fs.read"},
    {"krepis.fs.list", "fs.read"},
    {"krepis.fs.stat", "fs.read"},
    {"krepis.fs.writeText", "fs.write"},
    {"krepis.fs.writeBytes", "fs.write"},
    {"krepis.fs.mkdir", "fs.write"},
    {"krepis.fs.remove", "fs.write"},
    {"krepis.env", "env"},
}};

}  // namespace

std::optional<std::string> missing_grant_hint(const std::string& error,
                                              const std::string& source_line,
                                              const std::string& tier,
                                              const std::vector<std::string>& granted) {
  if (error.find("TypeError") == std::string::npos) return std::nullopt;
  for (const GuardedOp& op : kGuardedOps) {
    if (source_line.find(op.call) == std::string::npos) continue;
    if (std::find(granted.begin(), granted.end(), op.grant) != granted.end()) continue;
    return fmt::format("tier '{}' does not grant {} (the script calls {})", tier, op.grant,
                       op.call);
  }
  return std::nullopt;
}

}  // namespace krepis

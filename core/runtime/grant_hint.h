// A hint for the operator when a script fails on an op its tier does not grant: the script
// sees the op absent (`krepis.fs` undefined), so its TypeError says nothing of tiers, and
// whoever reads the report may not know the manifest. The script itself sees no hint.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace krepis {

// "tier 'free' does not grant fs.read (the script calls krepis.fs.readText)" when `error`
// is a TypeError and `source_line` (the line it was thrown at) calls an op of a grant that
// `granted` lacks; nothing otherwise.
std::optional<std::string> missing_grant_hint(const std::string& error,
                                              const std::string& source_line,
                                              const std::string& tier,
                                              const std::vector<std::string>& granted);

}  // namespace krepis

// RunReport -> text: the contract's JSON line, and the human usage line.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "core/base/run_report.h"

namespace krepis {

// One JSON object on one line (no trailing newline), with the contract's fields.
std::string json_line(const RunReport& report);

// A report read back from its JSON line (as `krepis summarize` reads them): the fields the
// line has, each of its schema type. Nothing when it is not an object, has no status, or a
// field of the wrong type.
std::optional<RunReport> report_from_json(const nlohmann::json& line);

// "ok  hello.js  default  wall 1.2 ms  cpu 0.9 ms  heap 1.1 MiB peak / 128 MiB cap  ext 0 B
// cold": one aligned line per run for people.
std::string usage_line(const RunReport& report);

// 1536 -> "1.5 KiB"; exact bytes below 1 KiB.
std::string human_bytes(std::size_t bytes);

}  // namespace krepis

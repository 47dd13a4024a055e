// One unit of work: a script of a tenant, with its optional input.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace krepis {

struct Job {
  std::string tenant;
  // The script's name in reports and stack traces: its path as given, or "-e".
  std::string script_name;
  std::string source;
  // JSON text exposed to the script as the global `input`; already validated as JSON.
  std::optional<std::string> input_json;
  std::chrono::milliseconds deadline{100};
  // Also describe the result as console.log would (the REPL prints it); a result that JSON
  // cannot hold (a cycle, a function) is then no error.
  bool inspect_result = false;
};

}  // namespace krepis

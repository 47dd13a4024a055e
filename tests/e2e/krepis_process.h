// Runs the real krepis binary as a child process and collects what it printed.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace krepis::test {

struct ProcessResult {
  int exit_status = -1;  // the exit code, or 128 + signal
  std::string out;
  std::string err;
  long peak_rss_kib = 0;  // the child's peak resident set

  // stdout's lines parsed as JSON (each must be JSON).
  std::vector<nlohmann::json> json_lines() const;
};

// Runs KREPIS_BIN with the arguments; stdin is /dev/null.
ProcessResult run_krepis(const std::vector<std::string>& args);
// The same, in another working folder.
ProcessResult run_krepis_in(const std::string& cwd, const std::vector<std::string>& args);

// Path of a script under tests/scripts/.
std::string script(const std::string& name);

// A file in a fresh temporary folder, with the given bytes.
std::string temp_file(const std::string& name, const std::string& bytes);

}  // namespace krepis::test

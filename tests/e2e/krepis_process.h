// Runs the real krepis binary as a child process and collects what it printed.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace krepis::test {

// Sanitizer builds (scripts/sanitize) inflate every process's resident memory (shadow
// memory, the allocator's quarantine): bounds on it hold for the real build only.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kMemoryBoundsHold = false;
#else
inline constexpr bool kMemoryBoundsHold = true;
#endif

// ThreadSanitizer keeps a thread of its own in every process, which a TSan build leaves
// unconfined (core/runtime/confinement.cc): the checks of each thread allow that one.
#if defined(__SANITIZE_THREAD__)
inline constexpr std::size_t kSanitizerThreads = 1;
#else
inline constexpr std::size_t kSanitizerThreads = 0;
#endif

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

struct SpawnOptions {
  std::string cwd = {};               // empty: this process's
  std::vector<std::string> env = {};  // NAME=VALUE added to this process's environment
  std::string stdin_path = "/dev/null";
  // Where stdout goes; empty: a pipe the test reads.
  std::string stdout_path = {};
  // The binary: krepis, or KREPIS_HOOKED_BIN (krepis with `krepis.test`).
  std::string program = KREPIS_BIN;
};

// A krepis started and not yet waited for (to signal it mid-run). Its stdout is a pipe, so
// a test can wait for output to appear rather than for time to pass.
struct RunningKrepis {
  pid_t pid = 0;
  int out_fd = -1;  // the read end of stdout's pipe
  std::string dir, err_path;
  std::string out;  // read so far
  // True once `text` is in the output; false if the output ended (or a generous safety
  // bound passed) without it.
  bool wait_for_output(const std::string& text);
  // Closes the read end of stdout's pipe, as a reader that stops reading does.
  void close_output();
  ProcessResult wait();
};

RunningKrepis start_krepis(const std::vector<std::string>& args, const SpawnOptions& options = {});
// The same, with any options.
ProcessResult run_krepis_with(const SpawnOptions& options, const std::vector<std::string>& args);


// The resident memory of a process and all its descendants, summed, sampled every 2 ms from
// construction until destruction. Sampling can miss a peak, never invent one: a bound
// checked against peak_kib() can only pass too easily, never fail by chance.
class TreeMemory {
 public:
  explicit TreeMemory(pid_t root);
  ~TreeMemory();
  TreeMemory(const TreeMemory&) = delete;
  TreeMemory& operator=(const TreeMemory&) = delete;
  long peak_kib() const { return peak_kib_.load(); }

 private:
  std::atomic<long> peak_kib_{0};
  std::jthread thread_;
};

// A fresh temporary folder.
std::string temp_folder();

// A file in a fresh temporary folder, with the given bytes.
std::string temp_file(const std::string& name, const std::string& bytes);

// A file's bytes (empty if it cannot be read).
std::string read_all(const std::filesystem::path& path);

// Writes a file with the given bytes, making its folders.
void write_file(const std::filesystem::path& path, const std::string& bytes);

// The reports of a --json run (batch or run) by script name; the summary line is left out.
std::map<std::string, nlohmann::json> reports_by_script(const ProcessResult& run);

}  // namespace krepis::test

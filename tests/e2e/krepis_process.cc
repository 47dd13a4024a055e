#include "e2e/krepis_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace krepis::test {
std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

std::string make_temp_dir() {
  std::string pattern = "/tmp/krepis-e2e-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

}  // namespace

std::vector<nlohmann::json> ProcessResult::json_lines() const {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::map<std::string, nlohmann::json> reports_by_script(const ProcessResult& run) {
  std::map<std::string, nlohmann::json> reports;
  for (const nlohmann::json& line : run.json_lines()) {
    if (line.contains("script")) reports[line["script"].get<std::string>()] = line;
  }
  return reports;
}

ProcessResult run_krepis(const std::vector<std::string>& args) { return run_krepis_in("", args); }

ProcessResult run_krepis_in(const std::string& cwd, const std::vector<std::string>& args) {
  return start_krepis(args, {.cwd = cwd}).wait();
}

ProcessResult run_krepis_with(const SpawnOptions& options, const std::vector<std::string>& args) {
  return start_krepis(args, options).wait();
}

RunningKrepis start_krepis(const std::vector<std::string>& args, const SpawnOptions& options) {
  RunningKrepis running;
  running.dir = make_temp_dir();
  running.err_path = running.dir + "/err";
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, options.stdin_path.c_str(), O_RDONLY, 0);
  if (options.stdout_path.empty()) {
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, options.stdout_path.c_str(), O_WRONLY, 0);
  }
  posix_spawn_file_actions_addopen(&actions, 2, running.err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  std::vector<std::string> argv_strings{options.program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) env_strings.emplace_back(*entry);
  for (const std::string& extra : options.env) env_strings.push_back(extra);
  std::vector<char*> envp;
  for (std::string& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  int spawned =
      posix_spawn(&running.pid, options.program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  running.out_fd = out_pipe[0];
  if (spawned != 0) throw std::runtime_error("cannot start " + options.program);
  return running;
}

bool RunningKrepis::wait_for_output(const std::string& text) {
  // A safety bound for a loaded machine, not a measurement.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (out.find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    pollfd fd{out_fd, POLLIN, 0};
    if (::poll(&fd, 1, 1000) <= 0) continue;
    char buffer[4096];
    ssize_t got = ::read(out_fd, buffer, sizeof buffer);
    if (got <= 0) return false;  // the output ended
    out.append(buffer, static_cast<std::size_t>(got));
  }
  return true;
}

void RunningKrepis::close_output() {
  if (out_fd >= 0) ::close(out_fd);
  out_fd = -1;
}

ProcessResult RunningKrepis::wait() {
  char buffer[65536];
  for (ssize_t got; out_fd >= 0 && (got = ::read(out_fd, buffer, sizeof buffer)) != 0;) {
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
  }
  close_output();
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  ProcessResult result;
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = std::move(out);
  result.err = read_all(err_path);
  result.peak_rss_kib = usage.ru_maxrss;
  std::remove(err_path.c_str());
  ::rmdir(dir.c_str());
  return result;
}

namespace {

// The resident KiB of one process, 0 once it is gone.
long resident_kib(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  long size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

// The process and its descendants, from each thread's list of children.
void add_tree(pid_t pid, std::vector<pid_t>& tree) {
  tree.push_back(pid);
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream children(task.path() / "children");
    for (pid_t child; children >> child;) add_tree(child, tree);
  }
}

}  // namespace

TreeMemory::TreeMemory(pid_t root)
    : thread_([this, root](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any never;
        std::unique_lock lock(mutex);
        do {
          std::vector<pid_t> tree;
          add_tree(root, tree);
          long sum = 0;
          for (pid_t pid : tree) sum += resident_kib(pid);
          if (sum > peak_kib_.load()) peak_kib_.store(sum);
          // The next sample: 2 ms on, or at once when asked to stop.
        } while (!never.wait_for(lock, stop, std::chrono::milliseconds(2), [] { return false; }) &&
                 !stop.stop_requested());
      }) {}

TreeMemory::~TreeMemory() = default;

std::string temp_folder() { return make_temp_dir(); }

std::string script(const std::string& name) { return KREPIS_TEST_SCRIPTS "/" + name; }

std::string temp_file(const std::string& name, const std::string& bytes) {
  std::string path = make_temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace krepis::test

#include "e2e/pty_session.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace krepis::test {
namespace {

// A safety bound for a loaded machine, not a measurement.
constexpr auto kPatience = std::chrono::seconds(30);

}  // namespace

PtySession::PtySession(const std::vector<std::string>& args, const std::vector<std::string>& env,
                       const std::string& stdout_path) {
  std::vector<std::string> argv_strings{KREPIS_BIN};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  pid_ = ::forkpty(&fd_, nullptr, nullptr, nullptr);
  if (pid_ < 0) throw std::runtime_error("forkpty failed");
  if (pid_ == 0) {
    for (const std::string& entry : env) {
      if (entry.find('=') == std::string::npos) {
        ::unsetenv(entry.c_str());
      } else {
        ::putenv(const_cast<char*>(entry.c_str()));
      }
    }
    if (!stdout_path.empty()) {
      int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (out < 0 || ::dup2(out, STDOUT_FILENO) < 0) ::_exit(127);
    }
    std::vector<char*> argv;
    for (std::string& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(KREPIS_BIN, argv.data());
    ::_exit(127);
  }
}

PtySession::~PtySession() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (fd_ >= 0) ::close(fd_);
}

bool PtySession::read_some(int timeout_ms) {
  pollfd fd{fd_, POLLIN, 0};
  if (::poll(&fd, 1, timeout_ms) <= 0) return false;
  char buffer[4096];
  ssize_t got = ::read(fd_, buffer, sizeof buffer);
  if (got <= 0) return false;
  output_.append(buffer, static_cast<std::size_t>(got));
  return true;
}

void PtySession::send(const std::string& keys) {
  [[maybe_unused]] ssize_t written = ::write(fd_, keys.data(), keys.size());
}

bool PtySession::wait_for(const std::string& text) {
  const auto give_up = std::chrono::steady_clock::now() + kPatience;
  for (;;) {
    std::size_t found = output_.find(text, consumed_);
    if (found != std::string::npos) {
      consumed_ = found + text.size();
      return true;
    }
    if (std::chrono::steady_clock::now() > give_up) return false;
    read_some(100);
  }
}

int PtySession::wait_exit() {
  const auto give_up = std::chrono::steady_clock::now() + kPatience;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) return -1;
    read_some(50);
  }
  while (read_some(0)) {
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace krepis::test

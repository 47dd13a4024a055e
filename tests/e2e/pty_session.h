// krepis in a real pseudo-terminal: keys in, screen output out. Waiting is for text to
// appear (bounded by a generous safety limit), never for time to pass.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace krepis::test {

class PtySession {
 public:
  // env: NAME=VALUE to set, or NAME to unset, in krepis's environment. stdout_path, when
  // given, is where krepis's stdout goes instead (stdin and stderr stay the terminal).
  PtySession(const std::vector<std::string>& args, const std::vector<std::string>& env,
             const std::string& stdout_path = {});
  ~PtySession();
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  void send(const std::string& keys);
  // True once `text` appears in the output after what earlier waits consumed.
  bool wait_for(const std::string& text);
  // Waits for the process to end; its exit status.
  int wait_exit();
  const std::string& output() const { return output_; }

 private:
  bool read_some(int timeout_ms);

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
  std::size_t consumed_ = 0;
};

}  // namespace krepis::test

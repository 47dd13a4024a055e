// Test programs only: ops that do from native code what tenant code must never manage to do,
// so that tests can show the OS sandbox (seccomp, Landlock) stop it where krepis's own checks
// are not in the way, as they would not be for code that took over a worker. Linked into
// krepis-with-test-hooks (tests/CMakeLists.txt), never into krepis: registry.cc declares the
// install function weak, and without this file no tenant has `krepis.test`.
#include <errno.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "core/ops/families.h"
#include "core/ops/op_call.h"

namespace krepis {
namespace {

// krepis.test.syscall(name): makes the call ("execve", "socket", "ptrace", "fork",
// "setown": fcntl F_SETOWN, which would have the kernel signal another process) and returns
// its result, or the errno's name.
void make_system_call(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "krepis.test.syscall");
  if (!call.active()) return;
  std::optional<std::string> name = call.string_arg(0, "name", 64);
  if (!name) return;
  long result = -1;
  if (*name == "execve") {
    char program[] = "/bin/true";
    char* arguments[] = {program, nullptr};
    result = ::execve(program, arguments, environ);
  } else if (*name == "socket") {
    result = ::socket(AF_INET, SOCK_STREAM, 0);
  } else if (*name == "ptrace") {
    result = ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
  } else if (*name == "setown") {
    result = ::fcntl(STDOUT_FILENO, F_SETOWN, ::getppid());
  } else if (*name == "fork") {
    result = ::fork();
    if (result == 0) ::_exit(0);
  } else {
    call.type_error("krepis.test.syscall: unknown call " + *name);
    return;
  }
  call.set_result(call.string(result < 0 ? ::strerrorname_np(errno) : std::to_string(result)));
}

// krepis.test.readHostFile(path): open(2) and read(2) of any path, with no tenant folder and
// no openat2; "read:<first 4 KiB>", or the errno's name.
void read_host_file(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "krepis.test.readHostFile");
  if (!call.active()) return;
  std::optional<std::string> path = call.string_arg(0, "path", 4096);
  if (!path) return;
  const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    call.set_result(call.string(::strerrorname_np(errno)));
    return;
  }
  char text[4096];
  const ssize_t n = ::read(fd, text, sizeof text);
  const int read_error = errno;
  ::close(fd);
  call.set_result(call.string(n < 0 ? std::string(::strerrorname_np(read_error))
                                    : "read:" + std::string(text, static_cast<std::size_t>(n))));
}

}  // namespace

void install_native_test_hooks(OpInstaller& installer) {
  installer.method<&make_system_call>(installer.space("test"), "syscall", 1);
  installer.method<&read_host_file>(installer.space("test"), "readHostFile", 1);
}

}  // namespace krepis

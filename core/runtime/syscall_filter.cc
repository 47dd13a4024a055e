#include "core/runtime/syscall_filter.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace krepis {
namespace {

// Allowed whatever their arguments: nothing they do reaches past the process, its memory and
// the descriptors it already holds (or, for the fs ops, the folder descriptor Landlock and
// openat2 confine).
constexpr const char* kAllowed[] = {
    // memory
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "membarrier", "pkey_alloc",
    "pkey_free", "pkey_mprotect",
    // threads and waiting
    "futex", "set_robust_list", "rseq", "sched_yield", "sched_getaffinity", "sched_getparam",
    "sched_getscheduler", "getpriority", "nanosleep", "clock_nanosleep", "poll", "ppoll",
    "exit", "exit_group", "restart_syscall",
    // time and figures
    "clock_gettime", "clock_getres", "gettimeofday", "time", "getrusage", "times", "sysinfo",
    "uname", "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid",
    "getrandom",
    // signals to itself (tgkill is checked below)
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
    // I/O on descriptors held: stdio, the parent's socket, /proc/self/statm, files the ops open
    "read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close", "dup",
    "sendmsg", "recvmsg", "sendto", "recvfrom", "shutdown",
    // the fs ops (beneath the tenant's folder descriptor), job files, ICU finding its time zone
    "open", "openat", "openat2", "stat", "lstat", "fstat", "newfstatat", "statx", "getdents64",
    "readlink", "readlinkat", "mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename",
    "renameat", "renameat2",
    "fsync", "fdatasync", "ftruncate"};

// Async-signal-safe: says which call it was and ends the process. The number is the
// architecture's (`ausyscall N` names it).
void on_forbidden_call(int, siginfo_t* info, void*) {
  char text[160] = "krepis: the sandbox ended this process: system call ";
  std::size_t length = std::strlen(text);
  char digits[12];
  std::size_t count = 0;
  unsigned number = static_cast<unsigned>(info->si_syscall);
  do {
    digits[count++] = static_cast<char>('0' + number % 10);
    number /= 10;
  } while (number != 0 && count < sizeof digits);
  while (count > 0) text[length++] = digits[--count];
  const char tail[] = " is not on its allow-list\n";
  std::memcpy(text + length, tail, sizeof tail - 1);
  length += sizeof tail - 1;
  [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, text, length);
  ::_exit(kForbiddenCallStatus);
}

using Filter = std::unique_ptr<void, decltype(&seccomp_release)>;

// Calls that exist on some architectures only (x86_64 has them; arm64 has only the *at forms).
constexpr const char* kNotEverywhere[] = {"open",  "stat",   "lstat",  "mkdir", "unlink",
                                          "rmdir", "rename", "readlink", "time", "poll"};

Error failed(const char* step, int code) {
  return Error{fmt::format("seccomp: {}: {}", step, std::strerror(-code))};
}

// Adds a rule for `name`. A call this architecture lacks is skipped if it is one of
// kNotEverywhere; any other name that does not resolve is a mistake in the list (-EINVAL),
// which would otherwise end workers at their first use of the call.
int add(const Filter& filter, std::uint32_t action, const char* name, unsigned conditions = 0,
        const scmp_arg_cmp* compare = nullptr) {
  const int call = seccomp_syscall_resolve_name(name);
  if (call == __NR_SCMP_ERROR) {
    for (const char* optional : kNotEverywhere) {
      if (std::strcmp(optional, name) == 0) return 0;
    }
    return -EINVAL;
  }
  return seccomp_rule_add_array(filter.get(), action, call, conditions, compare);
}

}  // namespace

std::span<const char* const> allowed_system_calls() { return kAllowed; }

Result<Done> filter_system_calls() {
  struct sigaction action {};
  action.sa_sigaction = &on_forbidden_call;
  action.sa_flags = SA_SIGINFO;
  if (::sigaction(SIGSYS, &action, nullptr) != 0) return failed("sigaction", -errno);

  Filter filter(seccomp_init(SCMP_ACT_TRAP), &seccomp_release);
  if (!filter) return Error{"seccomp: cannot make a filter"};
  // Every thread at once; a call made through another architecture's entry (int 0x80 on
  // x86_64) ends the process outright.
  int code = seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_TSYNC, 1);
  // A binary tree of the allowed calls, not a list: each system call of a run passes the
  // filter in ~7 comparisons instead of up to ~90.
  if (code == 0) code = seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (code == 0) code = seccomp_attr_set(filter.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (code != 0) return failed("attributes", code);

  for (const char* name : kAllowed) {
    if ((code = add(filter, SCMP_ACT_ALLOW, name)) != 0) return failed(name, code);
  }
  // Threads, not processes: clone must carry CLONE_THREAD. glibc tries clone3 first, whose
  // flags a filter cannot read: it is told the kernel lacks it, and falls back to clone.
  const scmp_arg_cmp thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
  const scmp_arg_cmp own_process = SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(::getpid()));
  // Limits may be read, never raised.
  const scmp_arg_cmp reading_only = SCMP_A2(SCMP_CMP_EQ, 0);
  // isatty() and the terminal's width, for the report of a lone run.
  const scmp_arg_cmp terminal_attributes = SCMP_A1(SCMP_CMP_EQ, TCGETS);
  const scmp_arg_cmp window_size = SCMP_A1(SCMP_CMP_EQ, TIOCGWINSZ);
  // Threads name themselves; V8 names its memory mappings.
  const scmp_arg_cmp set_name = SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME);
  const scmp_arg_cmp get_name = SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME);
  const scmp_arg_cmp name_mapping = SCMP_A0(SCMP_CMP_EQ, 0x53564d41 /* PR_SET_VMA */);
  // fcntl for descriptor flags, duplicates and locks; not F_SETOWN or F_SETSIG, which would
  // let it have the kernel signal any process of the user when a descriptor is ready.
  auto fcntl_command = [](int command) {
    return SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(command));
  };
  const struct {
    const char* name;
    scmp_arg_cmp compare;
  } kChecked[] = {{"clone", thread},
                  {"tgkill", own_process},
                  {"prlimit64", reading_only},
                  {"ioctl", terminal_attributes},
                  {"ioctl", window_size},
                  {"prctl", set_name},
                  {"prctl", get_name},
                  {"prctl", name_mapping},
                  {"fcntl", fcntl_command(F_GETFD)},
                  {"fcntl", fcntl_command(F_SETFD)},
                  {"fcntl", fcntl_command(F_GETFL)},
                  {"fcntl", fcntl_command(F_SETFL)},
                  {"fcntl", fcntl_command(F_DUPFD)},
                  {"fcntl", fcntl_command(F_DUPFD_CLOEXEC)},
                  {"fcntl", fcntl_command(F_GETLK)},
                  {"fcntl", fcntl_command(F_SETLK)},
                  {"fcntl", fcntl_command(F_SETLKW)}};
  for (const auto& checked : kChecked) {
    if ((code = add(filter, SCMP_ACT_ALLOW, checked.name, 1, &checked.compare)) != 0) {
      return failed(checked.name, code);
    }
  }
  if ((code = add(filter, SCMP_ACT_ERRNO(ENOSYS), "clone3")) != 0) return failed("clone3", code);
  if ((code = seccomp_load(filter.get())) != 0) return failed("load", code);
  return Done{};
}

}  // namespace krepis

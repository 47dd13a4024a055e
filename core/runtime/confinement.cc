#include "core/runtime/confinement.h"

#include <fmt/format.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "core/runtime/syscall_filter.h"

namespace krepis {
namespace {

// ThreadSanitizer keeps a thread of its own in every process, a forked child too. In a TSan
// build (scripts/sanitize thread) that one is allowed, and stays without Landlock and with
// its capabilities: such a build is for finding races, never for running tenants.
#if defined(__SANITIZE_THREAD__)
constexpr std::size_t kThreadsBeforeConfinement = 2;
#else
constexpr std::size_t kThreadsBeforeConfinement = 1;
#endif

// Threads of this process, from /proc/self/task; 0 when it cannot be read.
std::size_t thread_count() {
  std::error_code error;
  std::size_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/task", error), end; !error && it != end;
       it.increment(error)) {
    ++count;
  }
  return count;
}

// Empties the bounding set where the process may (that needs CAP_SETPCAP; without it, no
// new privileges and an empty permitted set leave the bounding set nothing to give), then the
// effective, permitted and inheritable sets, which needs no capability. A process without
// capabilities has nothing to drop.
Result<Done> drop_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return system_call_error("capget");
  const bool any = data[0].effective != 0 || data[0].permitted != 0 || data[1].effective != 0 ||
                   data[1].permitted != 0 || data[0].inheritable != 0 || data[1].inheritable != 0;
  if (!any) return Done{};
  for (int capability = 0; capability <= CAP_LAST_CAP; ++capability) {
    if (::prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0 && errno != EINVAL) {
      if (errno == EPERM) break;  // no CAP_SETPCAP: see above
      return system_call_error("PR_CAPBSET_DROP");
    }
  }
  __user_cap_data_struct none[2] = {};
  if (::syscall(SYS_capset, &header, none) != 0) return system_call_error("capset");
  return Done{};
}

// A file that TZ names (":/path" or "/path"), for the time zone ICU finds lazily.
std::optional<std::filesystem::path> time_zone_file() {
  const char* tz = std::getenv("TZ");
  if (tz == nullptr) return std::nullopt;
  std::string_view name(tz);
  if (name.starts_with(':')) name.remove_prefix(1);
  if (!name.starts_with('/')) return std::nullopt;
  return std::filesystem::path(name);
}

}  // namespace

std::vector<PathAccess> system_read_paths() {
  std::vector<PathAccess> paths = {{"/usr"},          {"/etc/localtime"},
                                   {"/etc/timezone"}, {"/dev/urandom"},
                                   {"/proc/self"},    {"/sys/devices/system/cpu/online"}};
  if (std::optional<std::filesystem::path> file = time_zone_file()) paths.push_back({*file});
  if (const char* folder = std::getenv("TZDIR")) paths.push_back({folder});
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  // A sanitizer build (scripts/sanitize, tests only) reads the files it has mapped, its own
  // binary and libnode among them, to name the functions of a report, and to match them
  // against its suppressions.
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    if (const std::size_t slash = line.find(" /"); slash != std::string::npos) {
      paths.push_back({line.substr(slash + 1)});
    }
  }
#endif
  return paths;
}

Result<Done> confine_before_threads(const ConfinementPolicy& policy) {
  if (const std::size_t threads = thread_count();
      threads == 0 || threads > kThreadsBeforeConfinement) {
    return Error{threads == 0 ? std::string("cannot count this process's threads "
                                            "(/proc/self/task); it must confine itself before "
                                            "its second")
                              : fmt::format("the process already runs {} threads; it must "
                                            "confine itself before its second",
                                            threads)};
  }
  const rlimit no_core{0, 0};
  if (::setrlimit(RLIMIT_CORE, &no_core) != 0) return system_call_error("RLIMIT_CORE");
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return system_call_error("RLIMIT_NOFILE");
  files.rlim_cur = std::min<rlim_t>(files.rlim_cur, kMaxOpenFiles);
  files.rlim_max = std::min<rlim_t>(files.rlim_max, kMaxOpenFiles);
  if (::setrlimit(RLIMIT_NOFILE, &files) != 0) return system_call_error("RLIMIT_NOFILE");
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return system_call_error("PR_SET_NO_NEW_PRIVS");
  // Another process of the same user may no longer attach to it or read its memory.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return system_call_error("PR_SET_DUMPABLE");
  if (Result<Done> dropped = drop_capabilities(); !dropped.ok()) return dropped;
  std::vector<PathAccess> paths = system_read_paths();
  paths.insert(paths.end(), policy.paths.begin(), policy.paths.end());
  return restrict_files(paths);
}

Result<Done> confine_system_calls() { return filter_system_calls(); }

std::optional<std::string> confinement_shortfall() {
  if (landlock_abi() == 0) {
    return "this kernel has no Landlock: tenants' files are confined by krepis's own checks "
           "(openat2 beneath each tenant's folder), not by the kernel, so code that got out of "
           "V8 could open any file this user can; run krepis as an unprivileged user here";
  }
  return std::nullopt;
}

}  // namespace krepis

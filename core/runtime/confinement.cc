#include "core/runtime/confinement.h"

#include <fmt/format.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace krepis {
namespace {

Error failed(const char* step) { return Error{fmt::format("{}: {}", step, std::strerror(errno))}; }

// Empties the bounding set (which needs CAP_SETPCAP, so it goes first), then the effective,
// permitted and inheritable sets. A process without capabilities has nothing to drop.
Result<Done> drop_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return failed("capget");
  const bool any = data[0].effective != 0 || data[0].permitted != 0 || data[1].effective != 0 ||
                   data[1].permitted != 0;
  if (!any) return Done{};
  for (int capability = 0; capability <= CAP_LAST_CAP; ++capability) {
    if (::prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0 && errno != EINVAL) {
      return failed("PR_CAPBSET_DROP");
    }
  }
  __user_cap_data_struct none[2] = {};
  if (::syscall(SYS_capset, &header, none) != 0) return failed("capset");
  return Done{};
}

}  // namespace

Result<Done> confine_process() {
  const rlimit no_core{0, 0};
  if (::setrlimit(RLIMIT_CORE, &no_core) != 0) return failed("RLIMIT_CORE");
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return failed("RLIMIT_NOFILE");
  files.rlim_cur = std::min<rlim_t>(files.rlim_cur, kMaxOpenFiles);
  files.rlim_max = std::min<rlim_t>(files.rlim_max, kMaxOpenFiles);
  if (::setrlimit(RLIMIT_NOFILE, &files) != 0) return failed("RLIMIT_NOFILE");
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("PR_SET_NO_NEW_PRIVS");
  return drop_capabilities();
}

}  // namespace krepis

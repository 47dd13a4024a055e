// What a process that runs tenant code gives up, in two steps.
//
// Before it has a second thread (capabilities and Landlock bind threads, not processes):
// it can no longer gain privileges (PR_SET_NO_NEW_PRIVS: no set-uid binary, no file
// capability), holds no capabilities (when started as root it keeps uid 0, so it still reads
// the files root owns, but CAP_DAC_OVERRIDE, CAP_SYS_ADMIN, CAP_NET_RAW and the rest are
// gone, from the bounding set too), dumps no core (a core would hold tenants' data), may open
// at most kMaxOpenFiles descriptors, and may open only the files its policy lists and those
// V8, ICU and glibc read (Landlock, where the kernel has it).
//
// Once V8 and every thread of the runtime are up: the seccomp allow-list
// (syscall_filter.h), on every thread.
//
// Capabilities are dropped rather than the uid changed: a spare unprivileged uid need not
// exist on the machine, and the tenants' folders and the batch's files keep working under
// their owners' permissions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/runtime/landlock.h"

namespace krepis {

inline constexpr std::size_t kMaxOpenFiles = 1024;
// The exit status of a process that could not confine itself: it runs no tenant code
// (EX_OSERR of sysexits.h).
inline constexpr int kConfinementFailedStatus = 71;

// The files the tenants of one process may reach: their job folders (read) and fs_roots (as
// their grants allow). Nothing else of the host's, beyond what system_read_paths() lists.
struct ConfinementPolicy {
  std::vector<PathAccess> paths;
};

// What every confined process may read: the libraries and data V8, ICU and glibc load
// (/usr, where time zones live too), the host's time zone (/etc/localtime, /etc/timezone,
// a file that TZ names, TZDIR: ICU reads them lazily, at a run's first date), /dev/urandom
// (V8 seeds Math.random from it), the list of online CPUs (glibc's count of them, from which
// V8 sizes its thread pool: without it, one thread) and /proc/self (the memory watch reads
// statm; glibc reads maps for the main thread's stack; it also holds the process's own
// memory and environment, which the process has anyway).
std::vector<PathAccess> system_read_paths();

// The first step. Fails, naming the step, when the process already has a second thread (or
// cannot tell) or a step fails: the process is then partly confined and must run no tenant
// code (the Runtime exits with kConfinementFailedStatus).
Result<Done> confine_before_threads(const ConfinementPolicy& policy);

// The second step: the seccomp allow-list.
Result<Done> confine_system_calls();

// What this kernel cannot enforce, for the operator (said once per command); nothing when
// it has all of it.
std::optional<std::string> confinement_shortfall();

}  // namespace krepis

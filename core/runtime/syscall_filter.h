// The system calls a process that runs tenant code may make once V8 is up: a seccomp-bpf
// allow-list, on every thread of the process. What V8, glibc and the runtime need after
// start-up is allowed (memory, threads, time, signals to the process itself, I/O on the
// descriptors it holds, the fs ops' own calls); everything else, new processes (fork, execve),
// new sockets, ptrace, mounts, namespaces, keyrings, BPF, is refused by ending the process:
// it writes which call it was to stderr and exits with kForbiddenCallStatus.
#pragma once

#include <span>

#include "core/base/result.h"

namespace krepis {

// 128 + SIGSYS, as a shell shows a process killed by SIGSYS.
inline constexpr int kForbiddenCallStatus = 159;

// Installs the filter on every thread (TSYNC); threads started later inherit it. Fails when
// a name on the list is no call of this architecture (nor one of those only some have).
Result<Done> filter_system_calls();

// The calls allowed whatever their arguments (those allowed only with some are not listed).
std::span<const char* const> allowed_system_calls();

}  // namespace krepis

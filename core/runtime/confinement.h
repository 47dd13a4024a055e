// What a process that runs tenant code gives up once V8 is up, before the first job: it can
// no longer gain privileges (PR_SET_NO_NEW_PRIVS: no set-uid binary, no file capability),
// holds no capabilities (when started as root it keeps uid 0, so it still reads the files
// root owns, but CAP_DAC_OVERRIDE, CAP_SYS_ADMIN, CAP_NET_RAW and the rest are gone, from
// the bounding set too), dumps no core (a core would hold tenants' data), and may open at
// most kMaxOpenFiles descriptors.
//
// Capabilities are dropped rather than the uid changed: a spare unprivileged uid need not
// exist on the machine, and the tenants' folders and the batch's files keep working under
// their owners' permissions. seccomp and Landlock are not applied yet (docs/THREAT-MODEL.md).
#pragma once

#include <cstddef>

#include "core/base/result.h"

namespace krepis {

inline constexpr std::size_t kMaxOpenFiles = 1024;

// Applies the whole list; the error names the first step that failed (the process is then
// partly confined, and says so).
Result<Done> confine_process();

}  // namespace krepis

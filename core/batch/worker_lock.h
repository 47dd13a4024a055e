// Which worker processes may serve a tenant, and which files each may open.
//
// A tenant whose tier grants file ops (fs.read, fs.write) runs only in worker processes
// locked to it: such a process opens that tenant's folder (as the grants allow) and its job
// folder, and nothing of any other tenant. Every other tenant runs in shared worker
// processes, which open the job folders of the tenants they serve and no tenant's folder.
// So a process that runs tenant code, even one whose code a tenant took over, never holds
// access to the files of a tenant it does not serve (docs/THREAT-MODEL.md).
#pragma once

#include <filesystem>
#include <optional>

#include "core/base/manifest.h"
#include "core/runtime/confinement.h"

namespace krepis {

bool needs_own_worker(const TenantSpec& tenant);

// The policy of a worker process locked to `locked_to`, or (null) of a shared one. Job
// folders are `batch_dir`/<tenant>; without a batch folder (`krepis run`), jobs come as text.
ConfinementPolicy worker_policy(const Manifest& manifest,
                                const std::optional<std::filesystem::path>& batch_dir,
                                const TenantSpec* locked_to);

}  // namespace krepis

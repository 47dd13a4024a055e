// The pool krepis runs on: warm sandboxes keyed by tenant (the policy is in pool.h).
#pragma once

#include <memory>

#include "core/base/manifest.h"
#include "core/engine/engine.h"
#include "core/runtime/pool.h"
#include "core/runtime/sandbox.h"
#include "core/runtime/watchdog.h"

namespace krepis {

using SandboxPool = BasicPool<Sandbox>;

// What a tenant's sandboxes grant, from its effective settings.
inline OpGrants grants_for(const TenantSpec& tenant) {
  return OpGrants{tenant.id,
                  tenant.tier,
                  tenant.ops,
                  tenant.fs_root,
                  tenant.env,
                  tenant.read_quota_bytes,
                  tenant.write_quota_bytes,
                  tenant.output_caps,
                  tenant.max_script_bytes};
}

// Makes each tenant's sandboxes with its heap cap; the pool's retire_heap_percent bounds each
// sandbox's leak margin (Sandbox::leak_margin_bytes).
inline SandboxPool::Factory sandbox_factory(Engine& engine, Watchdog& watchdog,
                                            const PoolSettings& settings, LastWords last_words,
                                            bool in_worker_process = false) {
  return [&engine, &watchdog, percent = settings.retire_heap_percent,
          last_words = std::move(last_words), in_worker_process](const TenantSpec& tenant) {
    return std::make_unique<Sandbox>(
        engine, watchdog,
        SandboxConfig{tenant.limits.heap_bytes, percent, grants_for(tenant), in_worker_process},
        last_words);
  };
}

}  // namespace krepis

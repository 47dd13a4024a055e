#include "core/batch/worker_lock.h"

#include <algorithm>

namespace krepis {
namespace {

bool grants(const TenantSpec& tenant, const char* op) {
  return std::find(tenant.ops.begin(), tenant.ops.end(), op) != tenant.ops.end();
}

}  // namespace

bool needs_own_worker(const TenantSpec& tenant) {
  return grants(tenant, "fs.read") || grants(tenant, "fs.write");
}

ConfinementPolicy worker_policy(const Manifest& manifest,
                                const std::optional<std::filesystem::path>& batch_dir,
                                const TenantSpec* locked_to) {
  ConfinementPolicy policy;
  auto serve = [&](const TenantSpec& tenant) {
    if (batch_dir) policy.paths.push_back({*batch_dir / tenant.id});
    if (tenant.fs_root && needs_own_worker(tenant)) {
      policy.paths.push_back({*tenant.fs_root, grants(tenant, "fs.write")});
    }
  };
  if (locked_to != nullptr) {
    serve(*locked_to);
  } else {
    for (const auto& [id, tenant] : manifest.tenants) {
      if (!needs_own_worker(tenant)) serve(tenant);
    }
  }
  return policy;
}

}  // namespace krepis

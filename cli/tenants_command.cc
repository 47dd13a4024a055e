#include "cli/tenants_command.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/table.h"
#include "cli/terminal.h"

namespace krepis::cli {
namespace {

constexpr int kManifestError = 2;

std::size_t heap_mb(const TenantSpec& tenant) { return tenant.limits.heap_bytes / kMiB; }

// Env values may be secrets: only their names are shown.
std::vector<std::string> env_names(const TenantSpec& tenant) {
  std::vector<std::string> names;
  for (const auto& entry : tenant.env) names.push_back(entry.first);
  return names;
}

nlohmann::json to_json(const Manifest& manifest) {
  nlohmann::json tenants = nlohmann::json::array();
  for (const auto& [id, tenant] : manifest.tenants) {
    tenants.push_back({
        {"id", id},
        {"tier", tenant.tier},
        {"heap_mb", heap_mb(tenant)},
        {"deadline_ms", tenant.limits.deadline.count()},
        {"max_isolates", tenant.max_isolates},
        {"max_output_lines", tenant.output_caps.max_lines},
        {"max_output_kb", tenant.output_caps.max_bytes / 1024},
        {"ops", tenant.ops},
        {"fs_root", tenant.fs_root ? nlohmann::json(tenant.fs_root->string()) : nullptr},
        {"env", env_names(tenant)},
    });
  }
  const PoolSettings& pool = manifest.pool;
  return {
      {"manifest", manifest.source},
      {"pool",
       {{"max_isolates", pool.max_isolates},
        {"idle_timeout_ms", pool.idle_timeout.count()},
        {"max_runs_per_isolate", pool.max_runs_per_isolate},
        {"retire_heap_percent", pool.retire_heap_percent}}},
      {"tenants", tenants},
  };
}

std::string joined_or_dash(const std::vector<std::string>& items) {
  return items.empty() ? "-" : fmt::format("{}", fmt::join(items, ","));
}

void print_tenants(const Manifest& manifest) {
  const PoolSettings& pool = manifest.pool;
  print_out(
      "manifest {}\npool     up to {} isolates; idle ones go after {} ms; an isolate is "
      "retired after {} runs or when it keeps memory across runs (margin at most {}% of its "
      "cap)\n\n",
      manifest.source, pool.max_isolates, pool.idle_timeout.count(), pool.max_runs_per_isolate,
      pool.retire_heap_percent);
  std::vector<std::vector<std::string>> rows = {
      {"TENANT", "TIER", "HEAP", "DEADLINE", "ISOLATES", "OPS", "FS_ROOT", "ENV"}};
  for (const auto& [id, tenant] : manifest.tenants) {
    rows.push_back({id, tenant.tier, fmt::format("{} MB", heap_mb(tenant)),
                    fmt::format("{} ms", tenant.limits.deadline.count()),
                    std::to_string(tenant.max_isolates), joined_or_dash(tenant.ops),
                    tenant.fs_root ? tenant.fs_root->string() : "-",
                    joined_or_dash(env_names(tenant))});
  }
  print_table(rows, rows.front().size());
}

}  // namespace

void add_tenants_command(CLI::App& app, TenantsOptions& options) {
  CLI::App* tenants = app.add_subcommand(
      "tenants", "Validate the tenant manifest and print each tenant's effective settings");
  add_manifest_options(*tenants, options.manifest);
  tenants->add_flag("--json", options.json, "Print the settings as one JSON object");
  tenants->footer(R"(Effective settings are the tenant's own, else its tier's, else the defaults,
with --heap-mb and --deadline-ms applied on top. Env values are not printed, only names.
A mistake in the manifest is reported as FILE:LINE: KEY: what is wrong, with exit status 2.

Examples:
  krepis tenants                           check ./tenants.toml
  krepis tenants --tenants tenants.toml.example --json)");
}

int tenants_command(const TenantsOptions& options) {
  std::optional<Manifest> manifest = load_manifest_for(options.manifest);
  if (!manifest) return kManifestError;
  if (options.json) {
    print_out("{}\n", to_json(*manifest).dump());
  } else {
    print_tenants(*manifest);
  }
  return 0;
}

}  // namespace krepis::cli

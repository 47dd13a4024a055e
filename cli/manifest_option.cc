#include "cli/manifest_option.h"

#include <fmt/format.h>

#include <filesystem>
#include <variant>

#include "cli/terminal.h"
#include "core/base/limits.h"

namespace krepis::cli {

void add_manifest_options(CLI::App& command, ManifestOptions& options) {
  command
      .add_option("--tenants", options.tenants_file,
                  "Tenant manifest (TOML; see krepis-tenants(5)). Default: ./tenants.toml if "
                  "it exists, else a built-in tenant 'default'")
      ->type_name("FILE");
  command
      .add_option("--heap-mb", options.heap_mb,
                  fmt::format("Heap cap in MB, ArrayBuffer memory included ({}-{}); overrides "
                              "the tenant's (default 128)",
                              kMinHeapMb, kMaxHeapMb))
      ->type_name("N");
  command
      .add_option("--deadline-ms", options.deadline_ms,
                  fmt::format("Wall-clock deadline per run in ms ({}-{}); overrides the "
                              "tenant's (default 100)",
                              kMinDeadlineMs, kMaxDeadlineMs))
      ->type_name("N");
}

std::optional<Manifest> load_manifest_for(const ManifestOptions& options) {
  if (options.heap_mb) {
    if (auto error = check_heap_mb(*options.heap_mb)) {
      print_error("--heap-mb: " + *error);
      return std::nullopt;
    }
  }
  if (options.deadline_ms) {
    if (auto error = check_deadline_ms(*options.deadline_ms)) {
      print_error("--deadline-ms: " + *error);
      return std::nullopt;
    }
  }
  std::optional<std::filesystem::path> file;
  if (options.tenants_file) {
    file = *options.tenants_file;
  } else if (std::error_code ignored; std::filesystem::exists("tenants.toml", ignored)) {
    file = "tenants.toml";
  }
  Manifest manifest = builtin_manifest();
  if (file) {
    Result<Manifest, ManifestError> loaded = load_manifest(*file);
    if (!loaded.ok()) {
      print_error(loaded.error().to_string());
      return std::nullopt;
    }
    manifest = std::move(loaded).value();
  }
  for (auto& [id, tenant] : manifest.tenants) {
    if (options.heap_mb)
      tenant.limits.heap_bytes = static_cast<std::size_t>(*options.heap_mb) * kMiB;
    if (options.deadline_ms)
      tenant.limits.deadline = std::chrono::milliseconds(*options.deadline_ms);
  }
  return manifest;
}

const TenantSpec* find_tenant(const Manifest& manifest, const std::string& id,
                              std::string& denial) {
  if (const TenantSpec* tenant = manifest.find(id)) return tenant;
  denial = unknown_tenant_message(manifest, id);
  return nullptr;
}

}  // namespace krepis::cli

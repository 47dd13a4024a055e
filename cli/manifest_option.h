// The manifest an invocation runs on, as the contract says: --tenants FILE, else
// ./tenants.toml if it exists, else the built-in `default` tenant. Shared by the commands.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "core/base/manifest.h"

namespace krepis::cli {

struct ManifestOptions {
  std::optional<std::string> tenants_file;
  std::optional<std::int64_t> heap_mb;
  std::optional<std::int64_t> deadline_ms;
};

// Adds --tenants, --heap-mb and --deadline-ms to a command.
void add_manifest_options(CLI::App& command, ManifestOptions& options);

// Loads the manifest and applies --heap-mb/--deadline-ms to every tenant. On a mistake it
// prints the message (file:line: key: what) and returns nothing: the caller exits 2.
std::optional<Manifest> load_manifest_for(const ManifestOptions& options);

// The tenant's spec, or a denial message naming the manifest and the tenants it defines.
const TenantSpec* find_tenant(const Manifest& manifest, const std::string& id, std::string& denial);

}  // namespace krepis::cli

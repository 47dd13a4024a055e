// `krepis tenants`: validate the manifest and print each tenant's effective settings.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/manifest_option.h"

namespace krepis::cli {

struct TenantsOptions {
  ManifestOptions manifest;
  bool json = false;
};

void add_tenants_command(CLI::App& app, TenantsOptions& options);

// 0 when the manifest is valid, 2 (and the mistake on stderr) when it is not.
int tenants_command(const TenantsOptions& options);

}  // namespace krepis::cli

// The manifest parser (core/base/manifest) on any bytes, as a user's tenants.toml would hand
// them over. Must hold: no crash, no hang, no exception out of parse_manifest; a refusal names
// the file and a line inside the text; a manifest that loads has only valid ids, every
// tenant's tier defined and absolute tenant folders.
#include <algorithm>
#include <string>

#include "core/base/manifest.h"
#include "fuzz/fuzz_check.h"

using krepis::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string path = "/fuzz/tenants.toml";
  auto loaded = krepis::parse_manifest(text, path);
  if (!loaded.ok()) {
    const krepis::ManifestError& error = loaded.error();
    check(error.file == path, "a refusal names the manifest");
    check(!error.message.empty(), "a refusal says what is wrong");
    const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    check(error.line <= lines, "a refusal's line is inside the text");
    check(error.to_string().starts_with(path), "the message starts with the file");
    return 0;
  }
  for (const auto& [id, tenant] : loaded->tenants) {
    check(krepis::is_valid_id(id), "tenant ids are valid");
    check(loaded->tiers.count(tenant.tier) == 1, "every tenant's tier is defined");
    check(!tenant.fs_root || tenant.fs_root->is_absolute(), "tenant folders are absolute");
    check(tenant.max_isolates >= 1, "a tenant may hold an isolate");
  }
  for (const auto& [id, tier] : loaded->tiers) {
    check(krepis::is_valid_id(id), "tier ids are valid");
  }
  return 0;
}

// The tenant manifest (tenants.toml): pool settings, tiers and tenants, read and validated in
// full before anything runs. Every mistake is reported with the file, the line and the key.
// The format is documented in man/krepis-tenants.5 and tenants.toml.example.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/base/limits.h"
#include "core/base/result.h"
#include "core/base/run_output.h"

namespace krepis {

struct PoolSettings {
  // Warm isolates of all tenants together; past it the least recently used idle one goes.
  std::size_t max_isolates = 64;
  // An isolate idle this long is disposed.
  std::chrono::milliseconds idle_timeout{60'000};
  // An isolate is retired (replaced by a fresh one) after this many runs.
  std::size_t max_runs_per_isolate = 10'000;
  // Leak guard: bounds the margin above a fresh isolate's heap that an isolate may still hold
  // after a run and a full GC before it is retired (Sandbox::leak_margin_bytes).
  unsigned retire_heap_percent = 50;
  // An isolate idle this long is settled: a full GC that gives memory back, once.
  std::chrono::milliseconds settle_after{1000};
};

// Isolates one tenant may hold at once when its runs come concurrently, unless it says.
inline constexpr std::size_t kDefaultTenantMaxIsolates = 4;

// Bytes the fs ops may read and write per run, unless the tier says otherwise.
inline constexpr std::size_t kDefaultQuotaMb = 32;
inline constexpr std::int64_t kMaxQuotaMb = 4096;
// The largest script and input file a batch job of the tier may have, in MB: the process that
// runs it reads no more (the file's size is checked before it is read).
inline constexpr std::size_t kDefaultJobFileMb = 16;
inline constexpr std::int64_t kMaxJobFileMb = 64;
// What one run may log, in lines and KiB (OutputCaps has the defaults). A report holds its
// output whole and a worker sends it in one frame (worker_wire.h's kMaxFrameBytes counts
// 16 MiB of it, escaped), so these bound memory as much as reading.
inline constexpr std::int64_t kMaxOutputLines = 1'000'000;
inline constexpr std::int64_t kMaxOutputKb = 16 * 1024;

struct TierSpec {
  std::string name;
  // Grant names of the restricted ops (see core/ops/grants.h).
  std::vector<std::string> ops;
  Limits limits;
  std::size_t read_quota_bytes = kDefaultQuotaMb * kMiB;
  std::size_t write_quota_bytes = kDefaultQuotaMb * kMiB;
  std::size_t max_script_bytes = kDefaultJobFileMb * kMiB;
  std::size_t max_input_bytes = kDefaultJobFileMb * kMiB;
  OutputCaps output_caps;
  // script_type = "module": its .js jobs are ES modules (is_module_script).
  bool modules_by_default = false;
};

struct TenantSpec {
  std::string id;
  std::string tier;
  // Effective values: the tenant's own, else its tier's, else the built-in defaults.
  Limits limits;
  std::vector<std::string> ops;
  std::size_t read_quota_bytes = kDefaultQuotaMb * kMiB;
  std::size_t write_quota_bytes = kDefaultQuotaMb * kMiB;
  // Size limits of a batch job's script and input files (its tier's).
  std::size_t max_script_bytes = kDefaultJobFileMb * kMiB;
  std::size_t max_input_bytes = kDefaultJobFileMb * kMiB;
  // What one run may log before the rest is dropped (its tier's).
  OutputCaps output_caps;
  // The tenant's folder, absolute; restricted file ops cannot reach outside it.
  std::optional<std::filesystem::path> fs_root;
  std::map<std::string, std::string> env;
  std::size_t max_isolates = kDefaultTenantMaxIsolates;
  // script_type = "module" (the tenant's, else its tier's): .js jobs are ES modules.
  bool modules_by_default = false;
};

struct Manifest {
  // Where it came from: the file's path, or "(built-in)".
  std::string source;
  PoolSettings pool;
  std::map<std::string, TierSpec> tiers;
  std::map<std::string, TenantSpec> tenants;

  const TenantSpec* find(const std::string& tenant_id) const;
  std::vector<std::string> tenant_ids() const;
};

struct ManifestError {
  std::string file;
  std::size_t line = 0;  // 0 when the mistake is not on one line (e.g. nothing defined)
  std::string key;       // dotted path, e.g. "tenants.acme.heap_mb"; empty for syntax errors
  std::string message;

  // "file:line: key: message"
  std::string to_string() const;
};

// The tier every tenant without a `tier` key belongs to; a manifest may redefine it.
inline constexpr const char* kDefaultTierName = "default";
// The tenant that exists when no manifest is given.
inline constexpr const char* kDefaultTenantId = "default";

// Reads and validates a manifest; relative fs_root paths are taken from the file's folder.
Result<Manifest, ManifestError> load_manifest(const std::filesystem::path& path);
// Parses manifest text as if read from `path` (used by load_manifest and the tests).
Result<Manifest, ManifestError> parse_manifest(const std::string& text,
                                               const std::filesystem::path& path);
// One tenant, "default", with the default tier and limits: what runs without a manifest.
Manifest builtin_manifest();

// Why a tenant id is refused: names the manifest and its tenants, with a did-you-mean.
std::string unknown_tenant_message(const Manifest& manifest, const std::string& id);

// Tenant and tier ids become folder and file names: [a-z0-9_-]{1,64}.
bool is_valid_id(const std::string& id);

}  // namespace krepis

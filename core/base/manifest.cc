#include "core/base/manifest.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <sstream>
#include <toml.hpp>

#include "core/base/did_you_mean.h"
#include "core/base/grants.h"
#include "core/base/text_file.h"
#include "core/base/utf8.h"

namespace krepis {
namespace {

constexpr const char* kNoTenants =
    "no [tenants.ID] table: a manifest must define at least one tenant";

// Thrown inside the reader only; load_manifest turns it into a value.
struct Fault {
  ManifestError error;
};

const char* type_name(toml::value_t type) {
  switch (type) {
    case toml::value_t::boolean:
      return "a boolean";
    case toml::value_t::integer:
      return "an integer";
    case toml::value_t::floating:
      return "a float";
    case toml::value_t::string:
      return "a string";
    case toml::value_t::array:
      return "an array";
    case toml::value_t::table:
      return "a table";
    case toml::value_t::empty:
      return "nothing";
    default:
      return "a date or time";
  }
}

// toml11's message: "[error] toml::parse_xxx: what\n --> file\n   |\n 2 | text\n   | ^ note".
// Keeps "what" and the excerpt, drops the prefixes and the file line (we print the file).
std::string describe_syntax_error(const std::string& what) {
  std::istringstream lines(what);
  std::string first;
  std::getline(lines, first);
  if (first.starts_with("[error] ")) first.erase(0, 8);
  if (first.starts_with("toml::")) {
    if (std::size_t colon = first.find(": "); colon != std::string::npos) first.erase(0, colon + 2);
  }
  std::string excerpt;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(" --> ")) continue;
    excerpt += "\n  " + line;
  }
  return "syntax error: " + first + excerpt;
}

// A table's entries in the order the file has them (toml11 keeps them in a hash map), so the
// first mistake reported is the first in the file.
// toml11 counts a value's line from the start of the file each time it is asked, so each
// entry's line is asked once, not at every comparison (10,000 tenants took 88 s that way).
std::vector<std::pair<std::string, const toml::value*>> in_file_order(const toml::value& table) {
  struct Entry {
    std::size_t line;
    std::string key;
    const toml::value* value;
  };
  std::vector<Entry> entries;
  const bool several = table.as_table().size() > 1;  // one entry has no order to find
  for (const auto& [key, value] : table.as_table()) {
    entries.push_back(Entry{several ? value.location().line() : 0, key, &value});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.line != b.line ? a.line < b.line : a.key < b.key;
  });
  std::vector<std::pair<std::string, const toml::value*>> ordered;
  for (Entry& entry : entries) ordered.emplace_back(std::move(entry.key), entry.value);
  return ordered;
}

// Whether `path` is `folder` or beneath it; both canonical.
bool is_within(const std::filesystem::path& path, const std::filesystem::path& folder) {
  const std::filesystem::path relative = path.lexically_relative(folder);
  return !relative.empty() && *relative.begin() != "..";
}

class Reader {
 public:
  explicit Reader(std::filesystem::path path) : path_(std::move(path)) {}

  Manifest read(const toml::value& root) {
    Manifest manifest;
    manifest.source = path_.string();
    check_keys(root, "", {"pool", "tiers", "tenants"});
    if (root.contains("pool")) manifest.pool = read_pool(table_at(root, "pool", "pool"));

    TierSpec default_tier;
    default_tier.name = kDefaultTierName;
    manifest.tiers[kDefaultTierName] = default_tier;
    if (root.contains("tiers")) {
      const toml::value& tiers = table_at(root, "tiers", "tiers");
      for (const auto& [name, tier] : in_file_order(tiers)) {
        std::string key = "tiers." + name;
        check_id(*tier, key, name, "tier name");
        manifest.tiers[name] = read_tier(name, table_at(tiers, name, key));
      }
    }
    if (!root.contains("tenants")) {
      // Not on any line: the root table's position would point at an unrelated one.
      throw Fault{ManifestError{path_.string(), 0, "tenants", kNoTenants}};
    }
    const toml::value& tenants = table_at(root, "tenants", "tenants");
    if (tenants.as_table().empty()) fail(tenants, "tenants", kNoTenants);
    for (const auto& [id, tenant] : in_file_order(tenants)) {
      std::string key = "tenants." + id;
      check_id(*tenant, key, id, "tenant id");
      const toml::value& table = table_at(tenants, id, key);
      TenantSpec read = read_tenant(id, table, manifest);
      if (read.fs_root) check_roots_apart(manifest, read, table.at("fs_root"));
      manifest.tenants[id] = std::move(read);
    }
    return manifest;
  }

 private:
  [[noreturn]] void fail(const toml::value& at, std::string key, std::string message) const {
    throw Fault{
        ManifestError{path_.string(), at.location().line(), std::move(key), std::move(message)}};
  }

  void check_keys(const toml::value& table, const std::string& path,
                  std::initializer_list<const char*> allowed) const {
    std::vector<std::string> names(allowed.begin(), allowed.end());
    for (const auto& [key, value] : in_file_order(table)) {
      if (std::find(names.begin(), names.end(), key) != names.end()) continue;
      fail(*value, path.empty() ? key : path + "." + key,
           fmt::format("unknown key '{}'{}; {} takes: {}", key, did_you_mean(key, names),
                       path.empty() ? "the top level" : "[" + path + "]", fmt::join(names, ", ")));
    }
  }

  void check_id(const toml::value& at, const std::string& key, const std::string& id,
                const char* what) const {
    if (!is_valid_id(id)) {
      fail(at, key,
           fmt::format("{} '{}' is not valid: use 1 to 64 of a-z, 0-9, '_' and '-' "
                       "(it becomes a folder name)",
                       what, id));
    }
  }

  const toml::value& table_at(const toml::value& parent, const std::string& name,
                              const std::string& key) const {
    const toml::value& value = parent.at(name);
    if (!value.is_table()) {
      fail(value, key, fmt::format("must be a table, got {}", type_name(value.type())));
    }
    return value;
  }

  std::optional<std::int64_t> integer(const toml::value& table, const char* name,
                                      const std::string& path, std::int64_t min, std::int64_t max,
                                      const char* unit) const {
    if (!table.contains(name)) return std::nullopt;
    const toml::value& value = table.at(name);
    std::string key = path + "." + name;
    if (!value.is_integer()) {
      fail(value, key, fmt::format("must be an integer, got {}", type_name(value.type())));
    }
    std::int64_t number = value.as_integer();
    // toml11 clamps integers that do not fit in 64 bits to the limits.
    if (number == std::numeric_limits<std::int64_t>::max() ||
        number == std::numeric_limits<std::int64_t>::min()) {
      fail(value, key,
           fmt::format("the number is too large: it must be between {} and {}{}", min, max, unit));
    }
    if (number < min || number > max) {
      fail(value, key,
           fmt::format("{}{} is out of range: it must be between {} and {}{}", number, unit, min,
                       max, unit));
    }
    return number;
  }

  std::optional<std::string> string(const toml::value& table, const char* name,
                                    const std::string& path) const {
    if (!table.contains(name)) return std::nullopt;
    const toml::value& value = table.at(name);
    if (!value.is_string()) {
      fail(value, path + "." + name,
           fmt::format("must be a string, got {}", type_name(value.type())));
    }
    return value.as_string().str;
  }

  inline static const std::array<std::string, 2> kScriptTypes = {"classic", "module"};

  // script_type, where a tier or a tenant may set it: whether its .js jobs are ES modules.
  bool modules_by_default(const toml::value& table, const std::string& path, bool inherited) const {
    std::optional<std::string> type = string(table, "script_type", path);
    if (!type) return inherited;
    if (*type != "classic" && *type != "module") {
      fail(table.at("script_type"), path + ".script_type",
           fmt::format("must be \"classic\" (the default: .js files are scripts) or \"module\" "
                       "(.js files are ES modules), got \"{}\"{}",
                       one_line(*type), did_you_mean(*type, kScriptTypes)));
    }
    return *type == "module";
  }

  // heap_mb and deadline_ms, where a tier or a tenant may set them.
  Limits limits(const toml::value& table, const std::string& path, Limits limits) const {
    if (auto mb = integer(table, "heap_mb", path, kMinHeapMb, kMaxHeapMb, " MB")) {
      limits.heap_bytes = static_cast<std::size_t>(*mb) * kMiB;
    }
    if (auto ms = integer(table, "deadline_ms", path, kMinDeadlineMs, kMaxDeadlineMs, " ms")) {
      limits.deadline = std::chrono::milliseconds(*ms);
    }
    return limits;
  }

  PoolSettings read_pool(const toml::value& table) const {
    check_keys(table, "pool",
               {"max_isolates", "idle_timeout_ms", "max_runs_per_isolate", "retire_heap_percent"});
    PoolSettings pool;
    if (auto n = integer(table, "max_isolates", "pool", 1, 4096, "")) pool.max_isolates = *n;
    if (auto ms = integer(table, "idle_timeout_ms", "pool", 1, 86'400'000, " ms")) {
      pool.idle_timeout = std::chrono::milliseconds(*ms);
    }
    if (auto n = integer(table, "max_runs_per_isolate", "pool", 1, 1'000'000'000, "")) {
      pool.max_runs_per_isolate = *n;
    }
    if (auto percent = integer(table, "retire_heap_percent", "pool", 10, 100, "%")) {
      pool.retire_heap_percent = static_cast<unsigned>(*percent);
    }
    return pool;
  }

  TierSpec read_tier(const std::string& name, const toml::value& table) const {
    std::string path = "tiers." + name;
    check_keys(table, path,
               {"ops", "heap_mb", "deadline_ms", "read_quota_mb", "write_quota_mb", "max_script_mb",
                "max_input_mb", "max_output_lines", "max_output_kb", "script_type"});
    TierSpec tier;
    tier.name = name;
    tier.limits = limits(table, path, Limits{});
    tier.modules_by_default = modules_by_default(table, path, false);
    if (auto mb = integer(table, "read_quota_mb", path, 0, kMaxQuotaMb, " MB")) {
      tier.read_quota_bytes = static_cast<std::size_t>(*mb) * kMiB;
    }
    if (auto mb = integer(table, "max_script_mb", path, 1, kMaxJobFileMb, " MB")) {
      tier.max_script_bytes = static_cast<std::size_t>(*mb) * kMiB;
    }
    if (auto mb = integer(table, "max_input_mb", path, 1, kMaxJobFileMb, " MB")) {
      tier.max_input_bytes = static_cast<std::size_t>(*mb) * kMiB;
    }
    if (auto mb = integer(table, "write_quota_mb", path, 0, kMaxQuotaMb, " MB")) {
      tier.write_quota_bytes = static_cast<std::size_t>(*mb) * kMiB;
    }
    if (auto lines = integer(table, "max_output_lines", path, 1, kMaxOutputLines, " lines")) {
      tier.output_caps.max_lines = static_cast<std::size_t>(*lines);
    }
    if (auto kb = integer(table, "max_output_kb", path, 1, kMaxOutputKb, " KB")) {
      tier.output_caps.max_bytes = static_cast<std::size_t>(*kb) * 1024;
    }
    if (!table.contains("ops")) return tier;
    const toml::value& ops = table.at("ops");
    if (!ops.is_array()) {
      fail(ops, path + ".ops",
           fmt::format("must be an array of op names, got {}", type_name(ops.type())));
    }
    const auto& grants = known_grants();
    for (const toml::value& op : ops.as_array()) {
      if (!op.is_string()) {
        fail(op, path + ".ops",
             fmt::format("must hold op names as strings, got {}", type_name(op.type())));
      }
      const std::string& grant = op.as_string().str;
      if (std::find(grants.begin(), grants.end(), grant) == grants.end()) {
        fail(op, path + ".ops",
             fmt::format("unknown op '{}'{}; the ops a tier can grant are: {}", grant,
                         did_you_mean(grant, grants), fmt::join(grants, ", ")));
      }
      if (std::find(tier.ops.begin(), tier.ops.end(), grant) != tier.ops.end()) {
        fail(op, path + ".ops", fmt::format("op '{}' is listed twice", grant));
      }
      tier.ops.push_back(grant);
    }
    return tier;
  }

  TenantSpec read_tenant(const std::string& id, const toml::value& table,
                         const Manifest& manifest) const {
    std::string path = "tenants." + id;
    check_keys(table, path,
               {"tier", "heap_mb", "deadline_ms", "fs_root", "env", "max_isolates", "script_type"});
    TenantSpec tenant;
    tenant.id = id;
    tenant.tier = string(table, "tier", path).value_or(kDefaultTierName);
    auto tier = manifest.tiers.find(tenant.tier);
    if (tier == manifest.tiers.end()) {
      std::vector<std::string> names;
      for (const auto& entry : manifest.tiers) names.push_back(entry.first);
      fail(table.at("tier"), path + ".tier",
           fmt::format("unknown tier '{}'{}; defined tiers: {}", tenant.tier,
                       did_you_mean(tenant.tier, names), fmt::join(names, ", ")));
    }
    tenant.ops = tier->second.ops;
    tenant.read_quota_bytes = tier->second.read_quota_bytes;
    tenant.max_script_bytes = tier->second.max_script_bytes;
    tenant.max_input_bytes = tier->second.max_input_bytes;
    tenant.write_quota_bytes = tier->second.write_quota_bytes;
    tenant.output_caps = tier->second.output_caps;
    tenant.limits = limits(table, path, tier->second.limits);
    tenant.modules_by_default =
        modules_by_default(table, path, tier->second.modules_by_default);
    tenant.max_isolates = std::min(kDefaultTenantMaxIsolates, manifest.pool.max_isolates);
    if (auto n = integer(table, "max_isolates", path, 1,
                         static_cast<std::int64_t>(manifest.pool.max_isolates),
                         " (the [pool] max_isolates)")) {
      tenant.max_isolates = static_cast<std::size_t>(*n);
    }
    if (auto root = string(table, "fs_root", path)) {
      std::filesystem::path folder = *root;
      if (folder.is_relative()) folder = path_.parent_path() / folder;
      std::error_code error;
      if (!std::filesystem::is_directory(folder, error)) {
        fail(table.at("fs_root"), path + ".fs_root",
             fmt::format("'{}' is not a folder{} (paths are relative to the manifest's folder)",
                         std::filesystem::absolute(folder, error).string(),
                         std::filesystem::exists(folder, error) ? "" : ": it does not exist"));
      }
      tenant.fs_root = std::filesystem::canonical(folder, error);
      check_root_is_its_own(*tenant.fs_root, table.at("fs_root"), path + ".fs_root");
    } else {
      for (const std::string& grant : tenant.ops) {
        if (grant.starts_with("fs.")) {
          fail(table, path + ".fs_root",
               fmt::format("missing: tier '{}' grants {}, so the tenant needs an fs_root folder",
                           tenant.tier, grant));
        }
      }
    }
    if (table.contains("env")) tenant.env = read_env(table.at("env"), path + ".env");
    return tenant;
  }

  // A tenant's folder is its own: not the whole file system, not a folder holding the
  // manifest (a tenant that may write there could rewrite its own grants) or krepis itself.
  void check_root_is_its_own(const std::filesystem::path& root, const toml::value& at,
                             const std::string& key) const {
    if (root == root.root_path()) {
      fail(at, key,
           fmt::format("'{}' is the whole file system: a tenant's folder must be one "
                       "of its own",
                       root.string()));
    }
    // The folder the manifest was named in and the one it really is in (through a symlink):
    // a tenant must reach neither.
    std::error_code error;
    for (const std::filesystem::path& manifest_folder :
         {std::filesystem::canonical(std::filesystem::absolute(path_, error).parent_path(), error),
          std::filesystem::canonical(path_, error).parent_path()}) {
      if (!manifest_folder.empty() && is_within(manifest_folder, root)) {
        fail(at, key,
             fmt::format("'{}' holds the manifest's folder '{}': the tenant could rewrite its "
                         "own grants; give it a folder of its own",
                         root.string(), manifest_folder.string()));
      }
    }
    const std::filesystem::path program = std::filesystem::canonical("/proc/self/exe", error);
    if (!error && is_within(program, root)) {
      fail(at, key,
           fmt::format("'{}' holds krepis itself ('{}'); give the tenant a folder of its own",
                       root.string(), program.string()));
    }
  }

  // No two tenants share files: one tenant's folder may neither be nor hold another's.
  void check_roots_apart(const Manifest& manifest, const TenantSpec& tenant,
                         const toml::value& at) const {
    for (const auto& [id, other] : manifest.tenants) {
      if (!other.fs_root) continue;
      if (is_within(*tenant.fs_root, *other.fs_root) ||
          is_within(*other.fs_root, *tenant.fs_root)) {
        fail(at, "tenants." + tenant.id + ".fs_root",
             fmt::format("'{}' overlaps the fs_root of tenant '{}' ('{}'): each tenant needs a "
                         "folder of its own, apart from every other tenant's",
                         tenant.fs_root->string(), id, other.fs_root->string()));
      }
    }
  }

  std::map<std::string, std::string> read_env(const toml::value& env,
                                              const std::string& path) const {
    if (!env.is_table()) {
      fail(env, path, fmt::format("must be a table of strings, got {}", type_name(env.type())));
    }
    std::map<std::string, std::string> result;
    for (const auto& [name, value] : in_file_order(env)) {
      if (!value->is_string()) {
        fail(*value, path + "." + name,
             fmt::format("must be a string, got {}", type_name(value->type())));
      }
      result[name] = value->as_string().str;
    }
    return result;
  }

  std::filesystem::path path_;
};

}  // namespace

const TenantSpec* Manifest::find(const std::string& tenant_id) const {
  auto found = tenants.find(tenant_id);
  return found == tenants.end() ? nullptr : &found->second;
}

std::vector<std::string> Manifest::tenant_ids() const {
  std::vector<std::string> ids;
  for (const auto& entry : tenants) ids.push_back(entry.first);
  return ids;
}

std::string ManifestError::to_string() const {
  std::string where = file;
  if (line > 0) where += fmt::format(":{}", line);
  if (!key.empty()) where += ": " + key;
  return where + ": " + message;
}

bool is_valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

namespace {

// toml11 parses nested arrays and inline tables recursively: a few hundred thousand open
// brackets would overflow the stack. No manifest needs more than a few levels.
std::optional<ManifestError> check_nesting(const std::string& text,
                                           const std::filesystem::path& path) {
  constexpr int kMaxDepth = 32;
  int depth = 0;
  std::size_t line = 1;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      quote = 0;  // basic and literal strings end with their line
      continue;
    }
    if (quote != 0) {
      if (c == '\\' && quote == '"')
        ++i;
      else if (c == quote)
        quote = 0;
      continue;
    }
    if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) {
        return ManifestError{path.string(), line, "",
                             fmt::format("nesting deeper than {} brackets", kMaxDepth)};
      }
    } else if (c == ']' || c == '}') {
      depth = std::max(0, depth - 1);
    }
  }
  return std::nullopt;
}

}  // namespace

Result<Manifest, ManifestError> parse_manifest(const std::string& text,
                                               const std::filesystem::path& path) {
  // toml11 reads past its buffer on some malformed UTF-8 (found by tests/fuzz/manifest):
  // only well-formed text reaches it. load_manifest's read_text_file checks too, but this is
  // the parser's own promise.
  if (auto bad = first_invalid_utf8(text)) {
    const TextPosition at = position_of(text, *bad);
    return ManifestError{path.string(), at.line, "",
                         fmt::format("not valid UTF-8 (byte {}, column {})", *bad, at.column)};
  }
  if (auto error = check_nesting(text, path)) return *error;
  std::istringstream stream(text);
  try {
    toml::value root = toml::parse(stream, path.string());
    return Reader(path).read(root);
  } catch (const Fault& fault) {
    return fault.error;
  } catch (const toml::syntax_error& error) {
    // At the end of a file without a final newline, toml11 names the line after the last
    // (found by tests/fuzz/manifest): the mistake is on the last line.
    const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    return ManifestError{path.string(), std::min<std::size_t>(error.location().line(), lines), "",
                         describe_syntax_error(error.what())};
  } catch (const std::exception& error) {
    return ManifestError{path.string(), 0, "", error.what()};
  }
}

Result<Manifest, ManifestError> load_manifest(const std::filesystem::path& path) {
  Result<std::string> file = read_text_file(path.string());
  if (!file.ok()) {
    const std::string& error = file.error().message;
    std::string prefix = path.string() + ": ";
    std::string message = error.starts_with(prefix) ? error.substr(prefix.size()) : error;
    return ManifestError{path.string(), 0, "", message};
  }
  return parse_manifest(*file, path);
}

std::string unknown_tenant_message(const Manifest& manifest, const std::string& id) {
  std::vector<std::string> ids = manifest.tenant_ids();
  if (manifest.source == builtin_manifest().source) {
    return fmt::format(
        "unknown tenant '{}': no manifest was given (no --tenants FILE, no ./tenants.toml), so "
        "the built-in tenant '{}' is the only one",
        id, kDefaultTenantId);
  }
  return fmt::format("unknown tenant '{}'{}: {} defines {}", id, did_you_mean(id, ids),
                     manifest.source, fmt::join(ids, ", "));
}

Manifest builtin_manifest() {
  Manifest manifest;
  manifest.source = "(built-in)";
  TierSpec tier;
  tier.name = kDefaultTierName;
  manifest.tiers[kDefaultTierName] = tier;
  TenantSpec tenant;
  tenant.id = kDefaultTenantId;
  tenant.tier = kDefaultTierName;
  manifest.tenants[kDefaultTenantId] = tenant;
  return manifest;
}

}  // namespace krepis

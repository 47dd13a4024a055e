// The manifest reader: effective settings, and every kind of mistake named by file, line and
// key before anything runs.
#include "core/base/manifest.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <variant>

#include "unit/scratch_folder.h"

namespace krepis {
namespace {

namespace fs = std::filesystem;

using test::ScratchFolder;

Manifest expect_valid(const std::string& text, const fs::path& file = "tenants.toml") {
  Result<Manifest, ManifestError> result = parse_manifest(text, file);
  if (!result.ok()) FAIL(result.error().to_string());
  return std::move(result).value();
}

ManifestError expect_error(const std::string& text, const fs::path& file = "tenants.toml") {
  Result<Manifest, ManifestError> result = parse_manifest(text, file);
  REQUIRE_FALSE(result.ok());
  return result.error();
}

void check_error(const std::string& text, std::size_t line, const std::string& key,
                 const std::string& says) {
  ManifestError error = expect_error(text);
  INFO(error.to_string());
  CHECK(error.file == "tenants.toml");
  CHECK(error.line == line);
  CHECK(error.key == key);
  CHECK(error.message.find(says) != std::string::npos);
  CHECK(error.to_string().starts_with(fmt::format("tenants.toml:{}: {}", line, key)));
}

TEST_CASE("effective settings: the tenant's own, else its tier's, else the defaults") {
  Manifest manifest = expect_valid(R"(
[pool]
max_isolates = 8
idle_timeout_ms = 5000
max_runs_per_isolate = 100
retire_heap_percent = 70

[tiers.pro]
ops = ["env"]
heap_mb = 256
deadline_ms = 80
read_quota_mb = 0
write_quota_mb = 2

[tenants.acme]
tier = "pro"
deadline_ms = 60
max_isolates = 3
env = { REGION = "eu" }

[tenants.solo]
)");
  CHECK(manifest.pool.max_isolates == 8);
  CHECK(manifest.pool.idle_timeout.count() == 5000);
  CHECK(manifest.pool.max_runs_per_isolate == 100);
  CHECK(manifest.pool.retire_heap_percent == 70);
  const TenantSpec* acme = manifest.find("acme");
  REQUIRE(acme != nullptr);
  CHECK(acme->tier == "pro");
  CHECK(acme->limits.heap_bytes == 256 * kMiB);
  CHECK(acme->limits.deadline.count() == 60);
  CHECK(acme->max_isolates == 3);
  CHECK(acme->ops == std::vector<std::string>{"env"});
  CHECK(acme->env.at("REGION") == "eu");
  CHECK(acme->read_quota_bytes == 0);
  CHECK(acme->write_quota_bytes == 2 * kMiB);
  const TenantSpec* solo = manifest.find("solo");
  REQUIRE(solo != nullptr);
  CHECK(solo->tier == "default");
  CHECK(solo->limits.heap_bytes == 128 * kMiB);
  CHECK(solo->limits.deadline.count() == 100);
  CHECK(solo->max_isolates == kDefaultTenantMaxIsolates);
  CHECK(solo->ops.empty());
  CHECK(solo->read_quota_bytes == kDefaultQuotaMb * kMiB);
  CHECK(manifest.find("nobody") == nullptr);
}

TEST_CASE("the built-in manifest has the one default tenant") {
  Manifest manifest = builtin_manifest();
  CHECK(manifest.tenant_ids() == std::vector<std::string>{"default"});
  CHECK(manifest.find("default")->limits.heap_bytes == 128 * kMiB);
}

TEST_CASE("unknown keys are named, with a did-you-mean") {
  check_error("[tenants.a]\nheap_mbb = 64\n", 2, "tenants.a.heap_mbb", "did you mean 'heap_mb'");
  check_error("[pool]\nmax_isolate = 3\n[tenants.a]\n", 2, "pool.max_isolate",
              "did you mean 'max_isolates'");
  check_error("[tiers.x]\nop = []\n[tenants.a]\n", 2, "tiers.x.op", "did you mean 'ops'");
  check_error("tenant = 1\n", 1, "tenant", "did you mean 'tenants'");
  // Far from every known key: no suggestion, but the list of what is allowed.
  ManifestError error = expect_error("[tenants.a]\ncolour = 1\n");
  CHECK(error.message.find("did you mean") == std::string::npos);
  CHECK(error.message.find("tier, heap_mb") != std::string::npos);
}

TEST_CASE("wrong types say what was expected and what was found") {
  check_error("[tenants.a]\nheap_mb = \"64\"\n", 2, "tenants.a.heap_mb",
              "must be an integer, got a string");
  check_error("[tenants.a]\ntier = 3\n", 2, "tenants.a.tier", "must be a string, got an integer");
  check_error("[tenants.a]\nenv = [\"A\"]\n", 2, "tenants.a.env", "must be a table");
  check_error("[tenants.a]\nenv = { A = 1 }\n", 2, "tenants.a.env.A", "must be a string");
  check_error("[tiers.x]\nops = \"env\"\n[tenants.a]\n", 2, "tiers.x.ops", "must be an array");
  check_error("tenants = 3\n", 1, "tenants", "must be a table");
}

TEST_CASE("unknown tiers and unknown ops are named") {
  check_error("[tiers.pro]\n[tenants.a]\ntier = \"por\"\n", 3, "tenants.a.tier",
              "unknown tier 'por' (did you mean 'pro'?)");
  check_error("[tiers.pro]\nops = [\"fs.reed\"]\n[tenants.a]\n", 2, "tiers.pro.ops",
              "unknown op 'fs.reed' (did you mean 'fs.read'?)");
  check_error("[tiers.pro]\nops = [\"env\", \"env\"]\n[tenants.a]\n", 2, "tiers.pro.ops",
              "listed twice");
}

TEST_CASE("tenant ids must be usable as folder names") {
  check_error("[tenants.Acme]\n", 1, "tenants.Acme", "is not valid");
  check_error("[tenants.\"a/b\"]\n", 1, "tenants.a/b", "is not valid");
  check_error("[tenants.\"..\"]\n", 1, "tenants...", "is not valid");
  check_error(fmt::format("[tenants.{}]\n", std::string(65, 'a')), 1,
              "tenants." + std::string(65, 'a'), "is not valid");
  expect_valid(fmt::format("[tenants.{}]\n", std::string(64, 'a')));
  expect_valid("[tenants.a-b_9]\n");
}

TEST_CASE("limits out of their bounds are refused") {
  check_error("[tenants.a]\nheap_mb = 4\n", 2, "tenants.a.heap_mb", "between 16 and 8192");
  check_error("[tenants.a]\ndeadline_ms = 0\n", 2, "tenants.a.deadline_ms", "between 1 and");
  check_error("[tiers.t]\nheap_mb = 100000\n[tenants.a]\n", 2, "tiers.t.heap_mb", "out of range");
  check_error("[pool]\nmax_isolates = 0\n[tenants.a]\n", 2, "pool.max_isolates", "out of range");
  check_error("[pool]\nmax_isolates = 2\n[tenants.a]\nmax_isolates = 3\n", 4,
              "tenants.a.max_isolates", "out of range");
  check_error("[pool]\nretire_heap_percent = 5\n[tenants.a]\n", 2, "pool.retire_heap_percent",
              "between 10 and 100");
  check_error("[tiers.t]\nwrite_quota_mb = -1\n[tenants.a]\n", 2, "tiers.t.write_quota_mb",
              "between 0 and 4096");
}

TEST_CASE("a tier bounds its batch jobs' script and input files") {
  Manifest manifest = expect_valid(
      "[tiers.t]\nmax_script_mb = 8\nmax_input_mb = 64\n[tenants.a]\ntier = \"t\"\n"
      "[tenants.b]\n");
  CHECK(manifest.find("a")->max_script_bytes == 8 * kMiB);
  CHECK(manifest.find("a")->max_input_bytes == 64 * kMiB);
  CHECK(manifest.find("b")->max_script_bytes == kDefaultJobFileMb * kMiB);
  check_error("[tiers.t]\nmax_script_mb = 0\n[tenants.a]\n", 2, "tiers.t.max_script_mb",
              "out of range");
  check_error("[tiers.t]\nmax_input_mb = 65\n[tenants.a]\n", 2, "tiers.t.max_input_mb",
              "out of range");
}

TEST_CASE("a tier caps what one run may log, in lines and KiB") {
  Manifest manifest = expect_valid(
      "[tiers.t]\nmax_output_lines = 50\nmax_output_kb = 16384\n[tenants.a]\ntier = \"t\"\n"
      "[tenants.b]\n");
  CHECK(manifest.find("a")->output_caps.max_lines == 50);
  CHECK(manifest.find("a")->output_caps.max_bytes == 16 * kMiB);
  CHECK(manifest.find("b")->output_caps.max_lines == 10'000);
  CHECK(manifest.find("b")->output_caps.max_bytes == kMiB);
  check_error("[tiers.t]\nmax_output_lines = 0\n[tenants.a]\n", 2, "tiers.t.max_output_lines",
              "0 lines is out of range: it must be between 1 and 1000000 lines");
  check_error("[tiers.t]\nmax_output_kb = 16385\n[tenants.a]\n", 2, "tiers.t.max_output_kb",
              "between 1 and 16384 KB");
  check_error("[tiers.t]\nmax_output_kb = \"1\"\n[tenants.a]\n", 2, "tiers.t.max_output_kb",
              "must be an integer");
  // A tenant cannot set it: it is the tier's.
  check_error("[tenants.a]\nmax_output_lines = 5\n", 2, "tenants.a.max_output_lines",
              "unknown key");
}

TEST_CASE("script_type makes a tier's or a tenant's .js jobs ES modules") {
  Manifest manifest = expect_valid(
      "[tiers.m]\nscript_type = \"module\"\n[tenants.a]\ntier = \"m\"\n"
      "[tenants.b]\ntier = \"m\"\nscript_type = \"classic\"\n"
      "[tenants.c]\nscript_type = \"module\"\n[tenants.d]\n");
  CHECK(manifest.find("a")->modules_by_default);
  CHECK_FALSE(manifest.find("b")->modules_by_default);  // the tenant's own value wins
  CHECK(manifest.find("c")->modules_by_default);
  CHECK_FALSE(manifest.find("d")->modules_by_default);
  check_error("[tiers.m]\nscript_type = \"modules\"\n[tenants.a]\n", 2, "tiers.m.script_type",
              "must be \"classic\" (the default: .js files are scripts) or \"module\" (.js "
              "files are ES modules), got \"modules\" (did you mean 'module'?)");
  check_error("[tenants.a]\nscript_type = true\n", 2, "tenants.a.script_type",
              "must be a string");
}

TEST_CASE("fs_root must be an existing folder, relative to the manifest's folder") {
  ScratchFolder scratch;
  fs::create_directories(scratch.path / "data" / "a");
  std::ofstream(scratch.path / "data" / "file") << "x";
  const fs::path file = scratch.path / "tenants.toml";

  Manifest manifest = expect_valid("[tenants.a]\nfs_root = \"data/a\"\n", file);
  CHECK(manifest.find("a")->fs_root == fs::canonical(scratch.path / "data" / "a"));

  ManifestError missing = expect_error("[tenants.a]\nfs_root = \"data/b\"\n", file);
  CHECK(missing.line == 2);
  CHECK(missing.key == "tenants.a.fs_root");
  CHECK(missing.message.find("does not exist") != std::string::npos);
  ManifestError not_folder = expect_error("[tenants.a]\nfs_root = \"data/file\"\n", file);
  CHECK(not_folder.message.find("is not a folder") != std::string::npos);

  // A tier that grants file ops needs the folder they work in.
  ManifestError needs_root =
      expect_error("[tiers.t]\nops = [\"fs.read\"]\n[tenants.a]\ntier = \"t\"\n", file);
  CHECK(needs_root.line == 3);
  CHECK(needs_root.key == "tenants.a.fs_root");
}

TEST_CASE("an fs_root that is not the tenant's own is refused with file, line and key") {
  ScratchFolder scratch;
  fs::create_directories(scratch.path / "conf");
  fs::create_directories(scratch.path / "data" / "a" / "inner");
  const fs::path file = scratch.path / "conf" / "tenants.toml";
  auto refused = [&](const std::string& text, std::size_t line, const std::string& key,
                     const std::string& says) {
    ManifestError error = expect_error(text, file);
    INFO(error.to_string());
    CHECK(error.file == file.string());
    CHECK(error.line == line);
    CHECK(error.key == key);
    CHECK(error.message.find(says) != std::string::npos);
  };
  refused("[tenants.a]\nfs_root = \"/\"\n", 2, "tenants.a.fs_root", "the whole file system");
  // The manifest's own folder, or one above it: the tenant could rewrite its grants.
  refused("[tenants.a]\nfs_root = \".\"\n", 2, "tenants.a.fs_root", "holds the manifest's folder");
  refused("[tenants.a]\nfs_root = \"..\"\n", 2, "tenants.a.fs_root",
          "could rewrite its own grants");
  // The folder of the program reading the manifest (here the test binary, in krepis: krepis).
  const std::string program = fs::canonical("/proc/self/exe").parent_path().string();
  refused("[tenants.a]\nfs_root = \"" + program + "\"\n", 2, "tenants.a.fs_root",
          "holds krepis itself");
  // Two tenants on one folder, or one inside the other's, in either order.
  refused("[tenants.a]\nfs_root = \"../data/a\"\n[tenants.b]\nfs_root = \"../data/a\"\n", 4,
          "tenants.b.fs_root", "overlaps the fs_root of tenant 'a'");
  refused("[tenants.a]\nfs_root = \"../data/a\"\n[tenants.b]\nfs_root = \"../data/a/inner\"\n", 4,
          "tenants.b.fs_root", "overlaps");
  refused("[tenants.b]\nfs_root = \"../data/a/inner\"\n[tenants.a]\nfs_root = \"../data/a\"\n", 4,
          "tenants.a.fs_root", "overlaps");
  // Through a symlink to the manifest: its real folder is refused too.
  fs::create_directories(scratch.path / "real");
  std::ofstream(scratch.path / "real" / "tenants.toml") << "";
  fs::create_symlink(scratch.path / "real" / "tenants.toml", scratch.path / "conf" / "link.toml");
  ManifestError linked =
      expect_error("[tenants.a]\nfs_root = \"../real\"\n", scratch.path / "conf" / "link.toml");
  CHECK(linked.message.find("holds the manifest's folder") != std::string::npos);
  // Folders side by side are fine.
  fs::create_directories(scratch.path / "data" / "b");
  expect_valid("[tenants.a]\nfs_root = \"../data/a\"\n[tenants.b]\nfs_root = \"../data/b\"\n",
               file);
}

TEST_CASE("syntax errors and empty manifests say where") {
  ManifestError syntax = expect_error("[tenants.a]\nheap_mb = \n");
  CHECK(syntax.line == 2);
  CHECK(syntax.message.starts_with("syntax error: "));
  // Found by tests/fuzz/manifest: the end of a file without a final newline is its last line.
  CHECK(expect_error("[tenants.a]\nx = [").line == 2);
  ManifestError twice = expect_error("[tenants.a]\n[tenants.a]\n");
  CHECK(twice.line == 2);
  CHECK(twice.message.find("defined twice") != std::string::npos);
  ManifestError none = expect_error("[pool]\nmax_isolates = 2\n");
  CHECK(none.line == 0);  // on no line of the file
  CHECK(none.to_string() ==
        "tenants.toml: tenants: no [tenants.ID] table: a manifest must define at least one tenant");
  CHECK(expect_error("[tenants]\n").key == "tenants");
}

TEST_CASE("hostile manifests are refused, not crashed on") {
  // toml11's parser recurses per bracket: this deep, it would overflow the stack.
  ManifestError deep = expect_error("[tenants.a]\nx = " + std::string(200'000, '['));
  CHECK(deep.line == 2);
  CHECK(deep.message.find("nesting deeper than") != std::string::npos);
  // Brackets inside strings and comments are not nesting.
  expect_valid("[tenants.a]\nenv = { A = \"" + std::string(100, '[') + "\" } # [[[[\n");
  // toml11 clamps integers past 64 bits: say so rather than print the clamped value.
  check_error("[pool]\nmax_isolates = 99999999999999999999\n[tenants.a]\n", 2, "pool.max_isolates",
              "too large");
  // Found by tests/fuzz/manifest: toml11 reads past its buffer on a literal string that is
  // not UTF-8. parse_manifest refuses such text itself, with where the bad byte is.
  ManifestError bytes = expect_error("[tenants.a]\nx = '\xff'\x0e");
  CHECK(bytes.line == 2);
  CHECK(bytes.message == "not valid UTF-8 (byte 17, column 6)");
}

TEST_CASE("the first mistake in the file is the one reported") {
  ManifestError error =
      expect_error("[tenants.zz]\nheap_mb = 1\n[tenants.aa]\nheap_mb = 2\n[tenants.mm]\n");
  CHECK(error.key == "tenants.zz.heap_mb");
}

TEST_CASE("an unreadable manifest file is an error naming it") {
  Result<Manifest, ManifestError> result = load_manifest("/nonexistent/tenants.toml");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().to_string().starts_with("/nonexistent/tenants.toml: "));
}

TEST_CASE("the shipped tenants.toml.example loads") {
  Result<Manifest, ManifestError> result =
      load_manifest(fs::path(KREPIS_SOURCE_DIR) / "tenants.toml.example");
  if (!result.ok()) FAIL(result.error().to_string());
  CHECK(result->tenants.size() >= 3);
}

}  // namespace
}  // namespace krepis

// Manifests through the real binary: `krepis tenants`, runs as a manifest's tenant, and every
// kind of manifest mistake stopping the invocation with file:line: key before anything runs.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "e2e/krepis_process.h"

namespace krepis::test {
namespace {

using nlohmann::json;

const std::string kExample = std::string(KREPIS_SOURCE_DIR) + "/tenants.toml.example";

TEST_CASE("krepis tenants prints each tenant's effective settings") {
  ProcessResult table = run_krepis({"tenants", "--tenants", kExample});
  CHECK(table.exit_status == 0);
  CHECK(table.out.find("TENANT") != std::string::npos);
  CHECK(table.out.find("ops-team  internal  256 MB  500 ms") != std::string::npos);
  // Env values may be secrets: names only.
  CHECK(table.out.find("PLAN,REGION") != std::string::npos);
  CHECK(table.out.find("eu-west") == std::string::npos);

  ProcessResult as_json = run_krepis({"tenants", "--tenants", kExample, "--json"});
  CHECK(as_json.exit_status == 0);
  json manifest = json::parse(as_json.out);
  CHECK(manifest["pool"]["max_isolates"] == 64);
  json acme;
  for (const json& tenant : manifest["tenants"]) {
    if (tenant["id"] == "acme") acme = tenant;
  }
  CHECK(acme["tier"] == "pro");
  CHECK(acme["heap_mb"] == 256);
  CHECK(acme["deadline_ms"] == 100);
  CHECK(acme["max_isolates"] == 2);
  CHECK(acme["ops"] == json{"fs.read", "env"});
  CHECK(acme["env"] == json{"PLAN", "REGION"});
  CHECK(acme["fs_root"].get<std::string>().ends_with("/examples/data/acme"));
}

TEST_CASE("a manifest of 10,000 tenants loads, every tenant in it") {
  // Manifest order used to ask toml11 for a line at every comparison, each counted from the
  // start of the file: 10,000 tenants took 88 s (2.7 s now).
  std::string text;
  for (int i = 0; i < 10'000; ++i) text += fmt::format("[tenants.t{}]\nheap_mb = 16\n", i);
  const std::string manifest = temp_file("tenants.toml", text);
  ProcessResult run = run_krepis({"tenants", "--tenants", manifest, "--json"});
  REQUIRE(run.exit_status == 0);
  const json parsed = json::parse(run.out);
  CHECK(parsed["tenants"].size() == 10'000);
}

TEST_CASE("--heap-mb and --deadline-ms override every tenant's limits") {
  ProcessResult run = run_krepis(
      {"tenants", "--tenants", kExample, "--json", "--heap-mb", "32", "--deadline-ms", "7"});
  CHECK(run.exit_status == 0);
  const json parsed = json::parse(run.out);
  for (const json& tenant : parsed["tenants"]) {
    CHECK(tenant["heap_mb"] == 32);
    CHECK(tenant["deadline_ms"] == 7);
  }
}

TEST_CASE("a run takes its tenant's limits from the manifest") {
  ProcessResult run = run_krepis(
      {"run", "--json", "--tenants", kExample, "--tenant", "hobby", "-e", "for (;;) {}"});
  CHECK(run.exit_status == 124);
  auto lines = run.json_lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["tenant"] == "hobby");
  CHECK(lines[0]["heap_cap_bytes"] == 64 * 1024 * 1024);
  CHECK(lines[0]["error"] == "deadline of 50 ms exceeded");
}

TEST_CASE("./tenants.toml is the manifest when --tenants is not given") {
  std::string manifest = temp_file("tenants.toml", "[tenants.local]\ndeadline_ms = 20000\n");
  std::string folder = std::filesystem::path(manifest).parent_path();
  ProcessResult run = run_krepis_in(folder, {"run", "--json", "--tenant", "local", "-e", "1"});
  CHECK(run.exit_status == 0);
  auto lines = run.json_lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["tenant"] == "local");
  // It has no tenant "default", so the default --tenant is unknown there.
  ProcessResult as_default = run_krepis_in(folder, {"run", "--json", "-e", "1"});
  CHECK(as_default.exit_status == 4);
  CHECK(as_default.json_lines().at(0)["status"] == "denied");
}

TEST_CASE("an unknown tenant is denied, with the manifest's tenants and a did-you-mean") {
  ProcessResult run =
      run_krepis({"run", "--json", "--tenants", kExample, "--tenant", "acne", "-e", "1"});
  CHECK(run.exit_status == 4);
  auto lines = run.json_lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["status"] == "denied");
  std::string error = lines[0]["error"];
  CHECK(error.find("unknown tenant 'acne' (did you mean 'acme'?)") != std::string::npos);
  CHECK(error.find("acme, default, hobby, ops-team") != std::string::npos);
}

TEST_CASE("a tenant's script has exactly the ops its tier grants") {
  const std::string code =
      "const orders = JSON.parse(krepis.fs.readText('orders.json'));"
      "({tenant: krepis.tenant.id, region: krepis.env.get('REGION'), "
      "total: orders.reduce((sum, o) => sum + o.total, 0)})";
  ProcessResult acme =
      run_krepis({"run", "--json", "--tenants", kExample, "--tenant", "acme", "-e", code});
  CHECK(acme.exit_status == 0);
  CHECK(acme.json_lines().at(0)["result"] ==
        json{{"tenant", "acme"}, {"region", "eu-west"}, {"total", 489.75}});
  ProcessResult hobby =
      run_krepis({"run", "--json", "--tenants", kExample, "--tenant", "hobby", "-e",
                  "[typeof krepis.fs, typeof krepis.env, krepis.tenant.tier]"});
  CHECK(hobby.exit_status == 0);
  CHECK(hobby.json_lines().at(0)["result"] == json{"undefined", "undefined", "free"});
  // acme may read but not write.
  ProcessResult write = run_krepis({"run", "--json", "--tenants", kExample, "--tenant", "acme",
                                    "-e", "typeof krepis.fs.writeText"});
  CHECK(write.json_lines().at(0)["result"] == "undefined");
}

struct Mistake {
  const char* manifest;
  const char* expected;  // the start of stderr after "krepis: FILE:"
};

TEST_CASE("every kind of manifest mistake names file, line and key, and nothing runs") {
  const Mistake mistakes[] = {
      {"[tenants.a]\nheap_mbb = 64\n",
       "2: tenants.a.heap_mbb: unknown key 'heap_mbb' (did you mean 'heap_mb'?)"},
      {"[tenants.a]\ndeadline_ms = \"fast\"\n",
       "2: tenants.a.deadline_ms: must be an integer, got a string"},
      {"[tiers.pro]\n[tenants.a]\ntier = \"por\"\n",
       "3: tenants.a.tier: unknown tier 'por' (did you mean 'pro'?)"},
      {"[tenants.Acme]\n", "1: tenants.Acme: tenant id 'Acme' is not valid"},
      {"[tenants.a]\nheap_mb = 100000\n", "2: tenants.a.heap_mb: 100000 MB is out of range"},
      {"[tenants.a]\ndeadline_ms = 0\n", "2: tenants.a.deadline_ms: 0 ms is out of range"},
      {"[tenants.a]\nfs_root = \"no-such-folder\"\n", "2: tenants.a.fs_root: '"},
      {"[tiers.t]\nops = [\"fs.write\"]\n[tenants.a]\ntier = \"t\"\n",
       "3: tenants.a.fs_root: missing: tier 't' grants fs.write"},
      {"[tiers.t]\nops = [\"net\"]\n[tenants.a]\n", "2: tiers.t.ops: unknown op 'net'"},
      {"[tenants.a]\nheap_mb = \n", "2: syntax error: "},
      {"[tenants.a]\nfs_root = \"/\"\n", "2: tenants.a.fs_root: '/' is the whole file system"},
      {"[tenants.a]\nfs_root = \".\"\n", "2: tenants.a.fs_root: '"},  // holds the manifest
  };
  for (const Mistake& mistake : mistakes) {
    std::string file = temp_file("tenants.toml", mistake.manifest);
    INFO(mistake.manifest);
    for (const char* command : {"tenants", "run"}) {
      std::vector<std::string> args{command, "--tenants", file};
      if (std::string(command) == "run") args.insert(args.end(), {"--tenant", "a", "-e", "1"});
      ProcessResult run = run_krepis(args);
      CHECK(run.exit_status == 2);
      CHECK(run.out.empty());
      CHECK_MESSAGE(run.err.starts_with(fmt::format("krepis: {}:{}", file, mistake.expected)),
                    run.err);
    }
  }
}

TEST_CASE("a manifest that cannot be read is a usage error naming it") {
  ProcessResult run = run_krepis({"tenants", "--tenants", "/nonexistent/tenants.toml"});
  CHECK(run.exit_status == 2);
  CHECK(run.err.starts_with("krepis: /nonexistent/tenants.toml: "));
}

}  // namespace
}  // namespace krepis::test

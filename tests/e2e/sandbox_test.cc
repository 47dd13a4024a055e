// The OS sandbox around tenant code, shown with krepis-with-test-hooks, whose `krepis.test`
// ops do from native code what a tenant that took over its worker could: forbidden system
// calls end the process (seccomp) and are reported, and files outside what the process
// serves cannot be opened (Landlock), whatever krepis's own path checks would have said.
#include <doctest/doctest.h>
#include <elf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string_view>

#include "e2e/krepis_process.h"

namespace krepis::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const SpawnOptions kHooked{.program = KREPIS_HOOKED_BIN};

bool kernel_has_landlock() {
  constexpr unsigned kVersion = 1;  // LANDLOCK_CREATE_RULESET_VERSION
  return ::syscall(SYS_landlock_create_ruleset, nullptr, 0, kVersion) > 0;
}

TEST_CASE("a batch job that makes a forbidden system call from native code ends its worker "
          "process, and is reported crashed with the reason, and the batch goes on") {
  const fs::path root = temp_folder();
  write_file(root / "tenants.toml", "[tenants.t]\ndeadline_ms = 60000\n");
  for (const char* call : {"execve", "socket", "ptrace", "fork", "setown"}) {
    write_file(root / "jobs" / "t" / (std::string(call) + ".js"),
          "krepis.test.syscall('" + std::string(call) + "')");
  }
  write_file(root / "jobs" / "t" / "ok.js", "'fine'");
  const ProcessResult run = run_krepis_with(
      kHooked, {"batch", "--json", "--jobs", "1", "--tenants", (root / "tenants.toml").string(),
                (root / "jobs").string()});
  CAPTURE(run.out);
  CAPTURE(run.err);
  std::map<std::string, json> reports = reports_by_script(run);
  REQUIRE(reports.size() == 6);
  for (const char* call : {"execve", "socket", "ptrace", "fork", "setown"}) {
    const json& report = reports["t/" + std::string(call) + ".js"];
    CAPTURE(report);
    // Without the filter each would succeed: a socket, a traced process, a fork, /bin/true,
    // an owner for SIGIO.
    CHECK(report["status"] == "crashed");
    CHECK(report["error"].get<std::string>().find("system call that is not on the allow-list") !=
          std::string::npos);
  }
  CHECK(reports["t/ok.js"]["status"] == "ok");
  CHECK(reports["t/ok.js"]["result"] == "fine");
  // stderr names each call by number (x86_64: execve 59, socket 41, ptrace 101, clone 56,
  // fcntl 72).
#if defined(__x86_64__)
  for (const char* number : {" 59 ", " 41 ", " 101 ", " 56 ", " 72 "}) {
    CHECK(run.err.find(std::string("system call") + number) != std::string::npos);
  }
#endif
  CHECK(run.exit_status == 4);
}

TEST_CASE("a lone run that makes a forbidden system call ends with status 159 and says so") {
  const ProcessResult run =
      run_krepis_with(kHooked, {"run", "-e", "krepis.test.syscall('socket')"});
  CHECK(run.exit_status == 159);
  CHECK(run.err.find("the sandbox ended this process") != std::string::npos);
}

TEST_CASE("a confined run still has Intl and the host's time zone, wherever it is defined") {
  const std::string code =
      "[new Intl.DateTimeFormat('de', {timeZone: 'UTC'}).format(0), "
      "new Date(0).getTimezoneOffset(), typeof Math.random()]";
  // ICU finds the zone lazily, at the first date, after the process confined itself.
  const ProcessResult named = run_krepis_with(
      {.env = {"TZ=Europe/Berlin"}}, {"run", "--json", "--deadline-ms", "60000", "-e", code});
  REQUIRE(named.exit_status == 0);
  CHECK(named.json_lines().at(0)["result"] == json::array({"1.1.1970", -60, "number"}));
  // A zone file outside /usr, as TZ may name one.
  const fs::path berlin = "/usr/share/zoneinfo/Europe/Berlin";
  if (!fs::exists(berlin)) {
    MESSAGE("no tzdata here: the zone file case is not shown");
    return;
  }
  // ICU takes a TZ path for a zone only when it has no digits (a temporary folder's name
  // has some, so a fixed folder).
  const fs::path copy = "/tmp/krepis-zone-file-case/berlin";
  fs::create_directories(copy.parent_path());
  fs::copy_file(berlin, copy, fs::copy_options::overwrite_existing);
  const ProcessResult file = run_krepis_with(
      {.env = {"TZ=" + copy.string()}}, {"run", "--json", "--deadline-ms", "60000", "-e", code});
  REQUIRE(file.exit_status == 0);
  CHECK(file.json_lines().at(0)["result"][1] == -60);
}

TEST_CASE("Landlock: a worker opens only the files of the tenants it serves") {
  if (!kernel_has_landlock()) {
    MESSAGE("this kernel has no Landlock: nothing to show");
    return;
  }
  const fs::path root = temp_folder();
  const fs::path mine = root / "files-root" / "mine.txt";
  const fs::path theirs = root / "other-root" / "theirs.txt";
  const fs::path secret = root / "secret.txt";
  write_file(mine, "mine");
  write_file(theirs, "theirs");
  write_file(secret, "secret");
  write_file(root / "tenants.toml", "[tiers.reader]\nops = ['fs.read']\n"
                               "[tenants.files]\ntier = 'reader'\nfs_root = 'files-root'\n"
                               "[tenants.other]\ntier = 'reader'\nfs_root = 'other-root'\n"
                               "[tenants.plain]\n");
  auto read_job = [&](const std::string& name, const fs::path& path) {
    write_file(root / "jobs" / name, "krepis.test.readHostFile('" + path.string() + "')");
  };
  read_job("files/own.js", mine);
  read_job("files/secret.js", secret);
  read_job("files/other-tenant.js", theirs);
  read_job("files/other-jobs.js", root / "jobs" / "plain" / "files-folder.js");
  read_job("plain/files-folder.js", mine);
  read_job("plain/files-jobs.js", root / "jobs" / "files" / "own.js");
  read_job("plain/own-jobs.js", root / "jobs" / "plain" / "own-jobs.js");
  const ProcessResult run = run_krepis_with(
      kHooked, {"batch", "--json", "--jobs", "2", "--tenants", (root / "tenants.toml").string(),
                (root / "jobs").string()});
  CAPTURE(run.err);
  std::map<std::string, json> reports = reports_by_script(run);
  REQUIRE(reports.size() == 7);
  // The tests run as root, which reads every one of these files without Landlock.
  CHECK(reports["files/own.js"]["result"] == "read:mine");
  CHECK(reports["files/secret.js"]["result"] == "EACCES");
  CHECK(reports["files/other-tenant.js"]["result"] == "EACCES");
  CHECK(reports["files/other-jobs.js"]["result"] == "EACCES");
  CHECK(reports["plain/files-folder.js"]["result"] == "EACCES");
  CHECK(reports["plain/files-jobs.js"]["result"] == "EACCES");
  CHECK(reports["plain/own-jobs.js"]["result"].get<std::string>().starts_with("read:"));

  // A lone run: the tenant's own folder, nothing else.
  const std::string manifest = (root / "tenants.toml").string();
  const ProcessResult own = run_krepis_with(
      kHooked, {"run", "--json", "--tenants", manifest, "--tenant", "files", "-e",
                "krepis.test.readHostFile('" + mine.string() + "')"});
  CHECK(own.json_lines().at(0)["result"] == "read:mine");
  const ProcessResult other = run_krepis_with(
      kHooked, {"run", "--json", "--tenants", manifest, "--tenant", "files", "-e",
                "krepis.test.readHostFile('" + secret.string() + "')"});
  CHECK(other.json_lines().at(0)["result"] == "EACCES");
}

TEST_CASE("the binary is bound at start, and its global offset table read-only from then on") {
  // `-z now` (CMakeLists.txt): full RELRO, so native code cannot redirect the binary's calls
  // through its own offset table, and its calls' lazy binding does not read the loader's
  // tables after main gave them back (base/loader_tables.h).
  std::ifstream binary(KREPIS_BIN, std::ios::binary);
  auto read_at = [&](std::uint64_t offset, auto& value) {
    binary.seekg(static_cast<std::streamoff>(offset));
    binary.read(reinterpret_cast<char*>(&value), sizeof value);
    return static_cast<bool>(binary);
  };
  Elf64_Ehdr header{};
  REQUIRE(read_at(0, header));
  REQUIRE(std::string_view(reinterpret_cast<const char*>(header.e_ident), 4) == "\x7f" "ELF");
  bool relro = false;
  std::uint64_t flags = 0;
  std::uint64_t flags_1 = 0;
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment{};
    REQUIRE(read_at(header.e_phoff + std::uint64_t{i} * header.e_phentsize, segment));
    if (segment.p_type == PT_GNU_RELRO) relro = true;
    if (segment.p_type != PT_DYNAMIC) continue;
    for (std::uint64_t at = segment.p_offset; at < segment.p_offset + segment.p_filesz;
         at += sizeof(Elf64_Dyn)) {
      Elf64_Dyn entry{};
      REQUIRE(read_at(at, entry));
      if (entry.d_tag == DT_NULL) break;
      if (entry.d_tag == DT_FLAGS) flags = entry.d_un.d_val;
      if (entry.d_tag == DT_FLAGS_1) flags_1 = entry.d_un.d_val;
    }
  }
  CHECK(relro);
  CHECK((flags & DF_BIND_NOW) != 0);
  CHECK((flags_1 & DF_1_NOW) != 0);
}

}  // namespace
}  // namespace krepis::test

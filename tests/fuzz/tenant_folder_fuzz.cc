// The confined path resolver (core/ops/tenant_folder) on paths the fuzzer builds, against a
// real folder with symlinks that lead out (absolute, relative, through "..", /proc's magic
// links, loops), with both resolvers: openat2 and the O_NOFOLLOW walk. Every file op runs:
// read, list, stat, write, mkdir, remove. Must hold: nothing outside the folder is read,
// listed or changed, whatever the path; a refusal carries an errno-style code.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/ops/tenant_folder.h"
#include "fuzz/fuzz_check.h"

namespace fs = std::filesystem;
using krepis::fuzz::check;
using krepis::fuzz::Choices;

namespace {

constexpr const char* kCanaryName = "krepis-canary-outside";
constexpr const char* kCanaryText = "SECRET-CANARY";

struct Scratch {
  // Every name outside the tenant's folder has "canary" in it, and no path the fuzzer tries
  // does, so a name or text with "canary" in it was seen outside.
  fs::path base;     // holds only the tenant's folder and the outside folder
  fs::path tenant;   // the tenant's folder
  fs::path outside;  // holds only the canary file
};

// The tenant folder as a run would find it, planted afresh (writes pile up otherwise).
void plant(const Scratch& scratch) {
  fs::remove_all(scratch.tenant);
  fs::create_directories(scratch.tenant / "sub" / "deeper");
  std::ofstream(scratch.tenant / "a.txt") << "inside";
  std::ofstream(scratch.tenant / "sub" / "b.txt") << "inside too";
  fs::create_symlink("..", scratch.tenant / "up");
  fs::create_symlink(scratch.outside, scratch.tenant / "abs");
  fs::create_symlink(fs::path("..") / scratch.outside.filename() / kCanaryName,
                     scratch.tenant / "rel_out");
  fs::create_symlink(fs::path("..") / ".." / scratch.outside.filename(),
                     scratch.tenant / "sub" / "out2");
  fs::create_symlink("b.txt", scratch.tenant / "sub" / "inner");
  fs::create_symlink("loop", scratch.tenant / "loop");
  fs::create_symlink("/proc/self/root", scratch.tenant / "proc");
  fs::create_symlink("/proc/self/cwd", scratch.tenant / "cwd");
}

const Scratch& scratch() {
  static const Scratch made = [] {
    fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    base /= "krepis-fuzz-folder-" + std::to_string(getpid());
    Scratch s{base, base / "canary-tenant", base / "canary-outside"};
    fs::create_directories(s.outside);
    std::ofstream(s.outside / kCanaryName) << kCanaryText;
    plant(s);
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(scratch().base, ignored);
    });
    return s;
  }();
  return made;
}

std::string fuzz_path(Choices& choices) {
  static const char* const kParts[] = {"..",      ".",      "sub",  "a.txt", "up",  "abs",
                                       "rel_out", "inner",  "loop", "proc",  "cwd", "out2",
                                       "",        "deeper", "new",  "tmp"};
  std::string path = choices.below(8) == 0 ? "/" : "";
  const std::size_t parts = 1 + choices.below(6);
  for (std::size_t i = 0; i < parts; ++i) {
    if (i > 0) path += '/';
    const std::size_t pick = choices.below(std::size(kParts) + 1);
    path += pick < std::size(kParts) ? std::string(kParts[pick]) : std::string(choices.bytes(8));
  }
  return path;
}

// Nothing outside the tenant's folder changed: the base holds the two folders, and the
// outside one holds the canary, unchanged.
void check_outside_untouched(const Scratch& s) {
  std::set<std::string> base_entries, outside_entries;
  for (const auto& entry : fs::directory_iterator(s.base)) {
    base_entries.insert(entry.path().filename());
  }
  for (const auto& entry : fs::directory_iterator(s.outside)) {
    outside_entries.insert(entry.path().filename());
  }
  check(base_entries == std::set<std::string>{s.tenant.filename(), s.outside.filename()},
        "nothing appears beside");
  check(outside_entries == std::set<std::string>{kCanaryName}, "nothing appears outside");
  std::ifstream canary(s.outside / kCanaryName);
  std::stringstream text;
  text << canary.rdbuf();
  check(text.str() == kCanaryText, "the file outside is unchanged");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Scratch& s = scratch();
  static int runs = 0;
  if (++runs % 256 == 0) plant(s);
  krepis::FsError error;
  std::optional<krepis::TenantFolder> folder = krepis::TenantFolder::open(s.tenant, error);
  check(folder.has_value(), "the tenant folder opens");
  Choices choices(data, size);
  if (choices.byte() & 1) folder->force_walk();
  const krepis::ShouldStop go_on = [] { return false; };
  while (!choices.empty()) {
    const std::size_t op = choices.below(6);
    const std::string path = fuzz_path(choices);
    // The canary's name and text cannot come from inside: seeing them is seeing outside.
    if (path.find("canary") != std::string::npos) continue;
    std::optional<std::string> code;
    switch (op) {
      case 0: {
        std::string bytes;
        auto read = folder->read(
            path, 1024,
            [&](std::size_t n) {
              bytes.resize(n);
              return bytes.data();
            },
            go_on);
        if (read.ok()) {
          check(bytes.substr(0, *read).find("CANARY") == std::string::npos, "no read leads out");
        } else {
          code = read.error().code;
        }
        break;
      }
      case 1: {
        auto listed = folder->list(path);
        if (listed.ok()) {
          for (const krepis::FsEntry& entry : *listed) {
            check(entry.name.find("canary") == std::string::npos, "no listing leads out");
          }
        } else {
          code = listed.error().code;
        }
        break;
      }
      case 2: {
        auto stat = folder->stat(path);
        if (!stat.ok()) code = stat.error().code;
        break;
      }
      case 3: {
        std::string bytes(choices.bytes(16));
        if (bytes.find("CANARY") != std::string::npos) break;
        auto written = folder->write(path, bytes, go_on);
        if (!written.ok()) code = written.error().code;
        break;
      }
      case 4: {
        auto made = folder->mkdir(path);
        if (!made.ok()) code = made.error().code;
        break;
      }
      default: {
        auto removed = folder->remove(path);
        if (!removed.ok()) code = removed.error().code;
        break;
      }
    }
    if (code) check(code->size() > 1 && (*code)[0] == 'E', "a refusal has an errno code");
    check_outside_untouched(s);
  }
  return 0;
}

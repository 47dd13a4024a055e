// The loader's tables are given back, and read again from their file when something asks.
#include <dlfcn.h>
#include <doctest/doctest.h>
#include <v8-initialization.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "core/base/loader_tables.h"

namespace {

struct Mapping {
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;
  std::string path;
  std::size_t resident_kib = 0;
};

// The mapping of libnode's first segment (read-only, from the start of its file), as
// /proc/self/smaps shows it now.
std::optional<Mapping> libnode_first_segment() {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  std::optional<Mapping> found;
  bool in_it = false;
  while (std::getline(smaps, line)) {
    std::istringstream fields(line);
    std::string range, perms, offset, device, inode, path;
    fields >> range >> perms >> offset >> device >> inode >> path;
    if (range.find('-') != std::string::npos && perms.size() == 4) {
      in_it = !found && perms == "r--p" && offset == "00000000" &&
              path.find("libnode.so") != std::string::npos;
      if (in_it) {
        found = Mapping{std::stoull(range.substr(0, range.find('-')), nullptr, 16),
                        std::stoull(range.substr(range.find('-') + 1), nullptr, 16), path, 0};
      }
    } else if (in_it && range == "Rss:") {
      found->resident_kib = std::stoull(perms);
    }
  }
  return found;
}

}  // namespace

TEST_CASE("the loader's tables are given back, and read again from their file on demand") {
  const std::optional<Mapping> before = libnode_first_segment();
  REQUIRE(before);
  // libnode is bound at once: the loader read its ~9 MiB of tables while the process started.
  REQUIRE(before->resident_kib > 1024);

  const std::size_t released = krepis::release_loader_tables();
  CHECK(released >= before->end - before->begin);
  const std::optional<Mapping> after = libnode_first_segment();
  REQUIRE(after);
  CHECK(after->resident_kib < before->resident_kib / 8);

  // Read again on demand: the tables still serve a lookup (dlsym walks libnode's hash table,
  // symbols and names, all given back above).
  void* found = ::dlsym(RTLD_DEFAULT, "_ZN2v82V810GetVersionEv");
  CHECK(found == reinterpret_cast<void*>(&v8::V8::GetVersion));
  CHECK(std::strncmp(v8::V8::GetVersion(), "10.", 3) == 0);
  const std::optional<Mapping> looked_up = libnode_first_segment();
  REQUIRE(looked_up);
  CHECK(looked_up->resident_kib > after->resident_kib);
}

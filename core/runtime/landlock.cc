#include "core/runtime/landlock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "core/base/unique_fd.h"

namespace krepis {
namespace {

// Debian 12's kernel headers stop at ABI 2; the later rights are the kernel's stable values.
constexpr std::uint64_t kTruncate = 1ULL << 14;  // ABI 3
constexpr std::uint64_t kIoctlDev = 1ULL << 15;  // ABI 5
constexpr std::uint64_t kBindTcp = 1ULL << 0;    // ABI 4, network rights
constexpr std::uint64_t kConnectTcp = 1ULL << 1;
constexpr std::uint64_t kScopeAbstractUnixSocket = 1ULL << 0;  // ABI 6, scopes
constexpr std::uint64_t kScopeSignal = 1ULL << 1;

// The ruleset's attributes as the kernel reads them; it is given the size that the ABI in
// use knows, so an older kernel sees only the fields it has.
struct RulesetAttributes {
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0;  // ABI 4
  std::uint64_t scoped = 0;              // ABI 6
};

constexpr std::uint64_t kRead = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;

std::uint64_t write_rights(int abi) {
  std::uint64_t rights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                         LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |
                         LANDLOCK_ACCESS_FS_MAKE_REG;
  if (abi >= 2) rights |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) rights |= kTruncate;
  return rights;
}

// Every file right the ABI knows: all of them are denied unless a rule allows them.
std::uint64_t handled_rights(int abi) {
  std::uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: bits 0 to 12
  if (abi >= 2) rights |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) rights |= kTruncate;
  if (abi >= 5) rights |= kIoctlDev;
  return rights;
}

Error failed(const std::string& step) { return system_call_error("Landlock: " + step); }

}  // namespace

int landlock_abi() {
  const long abi =
      ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi > 0 ? static_cast<int>(abi) : 0;
}

Result<Done> restrict_files(const std::vector<PathAccess>& paths) {
  const int abi = landlock_abi();
  if (abi == 0) return Done{};
  RulesetAttributes attributes;
  attributes.handled_access_fs = handled_rights(abi);
  std::size_t size = sizeof attributes.handled_access_fs;
  if (abi >= 4) {
    attributes.handled_access_net = kBindTcp | kConnectTcp;
    size += sizeof attributes.handled_access_net;
  }
  if (abi >= 6) {
    attributes.scoped = kScopeAbstractUnixSocket | kScopeSignal;
    size += sizeof attributes.scoped;
  }
  UniqueFd ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attributes, size, 0)));
  if (!ruleset.valid()) return failed("create_ruleset");
  for (const PathAccess& access : paths) {
    UniqueFd path(::open(access.path.c_str(), O_PATH | O_CLOEXEC));
    if (!path.valid()) continue;  // nothing there to allow
    struct stat info {};
    if (::fstat(path.get(), &info) != 0) return failed("fstat " + access.path.string());
    std::uint64_t rights = kRead | (access.write ? write_rights(abi) : 0);
    // A file (not a folder) takes only the rights that apply to files.
    if (!S_ISDIR(info.st_mode)) {
      rights &= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | kTruncate;
    }
    landlock_path_beneath_attr rule{};
    rule.allowed_access = rights;
    rule.parent_fd = path.get();
    if (::syscall(SYS_landlock_add_rule, ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &rule, 0) !=
        0) {
      return failed("add_rule " + access.path.string());
    }
  }
  // Without it an unprivileged process may not restrict itself (it could fool a set-uid
  // program); the process sets it anyway.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("PR_SET_NO_NEW_PRIVS");
  if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) return failed("restrict_self");
  return Done{};
}

}  // namespace krepis

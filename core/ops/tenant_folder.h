// A tenant's folder: every file operation of the fs ops resolves its path beneath the folder
// and nowhere else. Resolution uses openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so
// absolute paths, `..` escapes and symlinks that lead out fail in the kernel; where the kernel
// lacks openat2 (before 5.6, or filtered), a walk of one component at a time with O_NOFOLLOW
// does the same, refusing every symlink. Writes are atomic: a temporary file beside the
// target, then rename, so a reader (or a run stopped mid-write) never sees a torn file.
//
// No V8 here: failures are values with an errno-style code ("EACCES", "ENOENT", ...).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/base/unique_fd.h"

namespace krepis {

struct FsError {
  std::string code;     // "EACCES", "ENOENT", "EISDIR", ...
  std::string message;  // what happened, for a person
};

template <class T>
using FsResult = Result<T, FsError>;

struct FsEntry {
  std::string name;
  std::string type;  // "file", "dir", "symlink", "other"
};

struct FsStat {
  std::string type;
  std::uint64_t size = 0;
  double mtime_ms = 0;
};

// Asked between chunks of a long read or write: true means stop now (the deadline passed).
using ShouldStop = std::function<bool()>;

inline constexpr std::size_t kMaxPathBytes = 4096;
inline constexpr std::size_t kMaxNameBytes = 255;
inline constexpr std::size_t kMaxListEntries = 10'000;

class TenantFolder {
 public:
  // Opens the folder; nullopt (with error) if it cannot be opened. `description` names it
  // in errors: "'../x' leads outside the tenant's folder".
  static std::optional<TenantFolder> open(const std::filesystem::path& root, FsError& error,
                                          std::string_view description = "the tenant's folder");

  // Reads a regular file of at most max_bytes into memory obtained from allocate(size)
  // (which may refuse with nullptr: the caller's memory cap). Returns the bytes read.
  FsResult<std::size_t> read(std::string_view path, std::size_t max_bytes,
                             const std::function<char*(std::size_t)>& allocate,
                             const ShouldStop& should_stop) const;
  FsResult<std::vector<FsEntry>> list(std::string_view path) const;
  FsResult<FsStat> stat(std::string_view path) const;
  // Replaces (or creates) the file atomically; the parent folder must exist.
  FsResult<Done> write(std::string_view path, std::span<const char> bytes,
                       const ShouldStop& should_stop) const;
  // Creates the folder and any missing parents; an existing folder is fine.
  FsResult<Done> mkdir(std::string_view path) const;
  // Removes a file, or an empty folder.
  FsResult<Done> remove(std::string_view path) const;

  // True when openat2 resolves paths; false when the O_NOFOLLOW walk does.
  bool uses_openat2() const { return openat2_; }
  // For tests: resolve with the walk even where openat2 exists.
  void force_walk() { openat2_ = false; }

  TenantFolder(TenantFolder&&) noexcept;
  TenantFolder& operator=(TenantFolder&&) noexcept;
  ~TenantFolder();

 private:
  TenantFolder(UniqueFd root, bool openat2) : root_(std::move(root)), openat2_(openat2) {}
  // Opens path beneath the root with flags (O_CLOEXEC added).
  FsResult<UniqueFd> open_beneath(std::string_view path, int flags) const;
  FsResult<UniqueFd> walk(std::string_view path, int flags) const;
  // The parent folder of path, opened, and the last component's name.
  FsResult<UniqueFd> open_parent(std::string_view path, std::string& leaf) const;

  UniqueFd root_;
  bool openat2_;
  std::string description_;
  mutable std::atomic<std::uint64_t> temp_serial_{0};
};

}  // namespace krepis

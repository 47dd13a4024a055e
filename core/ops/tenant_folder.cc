#include "core/ops/tenant_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace krepis {
namespace {

constexpr std::size_t kChunkBytes = 1024 * 1024;

FsError errno_error(int error, std::string_view path) {
  const char* name = ::strerrorname_np(error);
  return FsError{name != nullptr ? name : "EIO",
                 fmt::format("'{}': {}", path, std::strerror(error))};
}

FsError outside(std::string_view path, std::string_view folder) {
  return FsError{"EACCES", fmt::format("'{}' leads outside {}", path, folder)};
}

FsError symlink_refused(std::string_view path) {
  return FsError{
      "EACCES",
      fmt::format("'{}' goes through a symlink, which this kernel cannot follow safely", path)};
}

// The checks that need no system call: what a path may look like at all.
std::optional<FsError> check_path(std::string_view path) {
  if (path.empty()) return FsError{"EINVAL", "the path is empty"};
  if (path.find('\0') != std::string_view::npos) {
    return FsError{"EINVAL", "the path contains a NUL byte"};
  }
  if (path.size() > kMaxPathBytes) {
    return FsError{"ENAMETOOLONG",
                   fmt::format("the path is {} bytes, over {}", path.size(), kMaxPathBytes)};
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = std::min(path.find('/', start), path.size());
    if (end - start > kMaxNameBytes) {
      return FsError{"ENAMETOOLONG", fmt::format("a name in the path is {} bytes, over {}",
                                                 end - start, kMaxNameBytes)};
    }
    start = end + 1;
  }
  if (path.front() == '/') {
    return FsError{"EACCES", fmt::format("'{}' is absolute: paths are relative to the tenant's "
                                         "folder",
                                         path)};
  }
  return std::nullopt;
}

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    start = end + 1;
  }
  return parts;
}

const char* type_of(mode_t mode) {
  if (S_ISREG(mode)) return "file";
  if (S_ISDIR(mode)) return "dir";
  if (S_ISLNK(mode)) return "symlink";
  return "other";
}

int raw_openat2(int dir, const char* path, int flags) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    int fd = static_cast<int>(::syscall(SYS_openat2, dir, path, &how, sizeof how));
    // EAGAIN: a concurrent rename raced with the resolution of `..`; try again, briefly.
    if (fd >= 0 || errno != EAGAIN || attempt == 8) return fd;
  }
}

}  // namespace

std::optional<TenantFolder> TenantFolder::open(const std::filesystem::path& root, FsError& error,
                                               std::string_view description) {
  UniqueFd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    error = errno_error(errno, root.string());
    return std::nullopt;
  }
  // ENOSYS before Linux 5.6; EPERM or ENOSYS where a seccomp filter hides it.
  UniqueFd probe(raw_openat2(fd.get(), ".", O_PATH | O_DIRECTORY));
  TenantFolder folder(std::move(fd), probe.valid());
  folder.description_ = description;
  return folder;
}

TenantFolder::TenantFolder(TenantFolder&& other) noexcept
    : root_(std::move(other.root_)),
      openat2_(other.openat2_),
      description_(std::move(other.description_)) {}

TenantFolder& TenantFolder::operator=(TenantFolder&& other) noexcept {
  root_ = std::move(other.root_);
  openat2_ = other.openat2_;
  description_ = std::move(other.description_);
  temp_serial_.store(other.temp_serial_.load());
  return *this;
}

TenantFolder::~TenantFolder() = default;

FsResult<UniqueFd> TenantFolder::open_beneath(std::string_view path, int flags) const {
  if (!openat2_) return walk(path, flags);
  std::string text(path);
  UniqueFd fd(raw_openat2(root_.get(), text.c_str(), flags));
  if (fd.valid()) return fd;
  if (errno == EXDEV) return outside(path, description_);
  return errno_error(errno, path);
}

FsResult<UniqueFd> TenantFolder::walk(std::string_view path, int flags) const {
  std::vector<std::string> parts = components(path);
  std::vector<UniqueFd> folders;
  folders.emplace_back(::openat(root_.get(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!folders.back().valid()) return errno_error(errno, path);
  // Why an open of `name` in `folder` failed: a symlink is refused, anything else says errno.
  auto failure = [&](int error, int folder, const std::string& name) {
    struct stat info {};
    if (::fstatat(folder, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(info.st_mode)) {
      return symlink_refused(path);
    }
    return errno_error(error, path);
  };
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    const std::string& part = parts[i];
    if (part == "..") {
      if (folders.size() == 1) return outside(path, description_);
      folders.pop_back();
      continue;
    }
    int folder = folders.back().get();
    if (last) {
      UniqueFd fd(::openat(folder, part.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
      if (!fd.valid()) return failure(errno, folder, part);
      return fd;
    }
    UniqueFd next(::openat(folder, part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return failure(errno, folder, part);
    folders.push_back(std::move(next));
  }
  // The path named a folder (it ended in `.`, `..` or nothing): open that folder itself.
  UniqueFd fd(::openat(folders.back().get(), ".", flags | O_CLOEXEC));
  if (!fd.valid()) return errno_error(errno, path);
  return fd;
}

FsResult<UniqueFd> TenantFolder::open_parent(std::string_view path, std::string& leaf) const {
  if (auto error = check_path(path)) return *error;
  std::string_view trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
  std::size_t slash = trimmed.rfind('/');
  std::string_view folder = slash == std::string_view::npos ? "." : trimmed.substr(0, slash);
  leaf = std::string(slash == std::string_view::npos ? trimmed : trimmed.substr(slash + 1));
  if (leaf.empty() || leaf == "." || leaf == "..") {
    return FsError{"EINVAL", fmt::format("'{}' does not name a file or folder inside the tenant's "
                                         "folder",
                                         path)};
  }
  return open_beneath(folder.empty() ? "." : folder, O_PATH | O_DIRECTORY);
}

FsResult<std::size_t> TenantFolder::read(std::string_view path, std::size_t max_bytes,
                                         const std::function<char*(std::size_t)>& allocate,
                                         const ShouldStop& should_stop) const {
  if (auto error = check_path(path)) return *error;
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  FsResult<UniqueFd> file = open_beneath(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!file.ok()) return file.error();
  int fd = file->get();
  struct stat info {};
  if (::fstat(fd, &info) != 0) return errno_error(errno, path);
  if (S_ISDIR(info.st_mode)) {
    return FsError{"EISDIR", fmt::format("'{}' is a folder", path)};
  }
  if (!S_ISREG(info.st_mode)) {
    return FsError{"EACCES",
                   fmt::format("'{}' is not a regular file ({})", path, type_of(info.st_mode))};
  }
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size > max_bytes) {
    return FsError{"EDQUOT", fmt::format("'{}' is {} bytes, and this run may read only {} more "
                                         "(the tier's read quota)",
                                         path, size, max_bytes)};
  }
  char* buffer = allocate(size);
  if (buffer == nullptr && size > 0) {
    return FsError{"ENOMEM", fmt::format("'{}' does not fit in the heap cap", path)};
  }
  std::size_t done = 0;
  while (done < size) {
    if (should_stop()) return FsError{"ETIMEDOUT", "the run was stopped"};
    ssize_t got =
        ::pread(fd, buffer + done, std::min(kChunkBytes, size - done), static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return errno_error(errno, path);
    if (got == 0) break;  // the file shrank while we read it
    done += static_cast<std::size_t>(got);
  }
  return done;
}

FsResult<std::vector<FsEntry>> TenantFolder::list(std::string_view path) const {
  if (auto error = check_path(path)) return *error;
  FsResult<UniqueFd> folder = open_beneath(path, O_RDONLY | O_DIRECTORY);
  if (!folder.ok()) return folder.error();
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(folder->get()), &::closedir);
  if (!dir) return errno_error(errno, path);
  folder->release();  // the DIR owns it now
  std::vector<FsEntry> entries;
  while (dirent* entry = ::readdir(dir.get())) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (entries.size() == kMaxListEntries) {
      return FsError{"E2BIG",
                     fmt::format("'{}' holds more than {} entries", path, kMaxListEntries)};
    }
    const char* type = "other";
    switch (entry->d_type) {
      case DT_REG:
        type = "file";
        break;
      case DT_DIR:
        type = "dir";
        break;
      case DT_LNK:
        type = "symlink";
        break;
      case DT_UNKNOWN: {
        struct stat info {};
        if (::fstatat(::dirfd(dir.get()), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) == 0) {
          type = type_of(info.st_mode);
        }
        break;
      }
      default:
        break;
    }
    entries.push_back(FsEntry{std::string(name), type});
  }
  std::sort(entries.begin(), entries.end(),
            [](const FsEntry& a, const FsEntry& b) { return a.name < b.name; });
  return entries;
}

FsResult<FsStat> TenantFolder::stat(std::string_view path) const {
  if (auto error = check_path(path)) return *error;
  FsResult<UniqueFd> file = open_beneath(path, O_PATH);
  if (!file.ok()) return file.error();
  struct stat info {};
  if (::fstat(file->get(), &info) != 0) return errno_error(errno, path);
  return FsStat{type_of(info.st_mode), static_cast<std::uint64_t>(info.st_size),
                static_cast<double>(info.st_mtim.tv_sec) * 1000.0 +
                    static_cast<double>(info.st_mtim.tv_nsec) / 1e6};
}

FsResult<Done> TenantFolder::write(std::string_view path, std::span<const char> bytes,
                                   const ShouldStop& should_stop) const {
  // "new/" names a folder: writing it must not make a file called "new".
  if (path.ends_with('/')) {
    return FsError{"EISDIR",
                   fmt::format("'{}' ends with '/': it names a folder, not a file", path)};
  }
  std::string leaf;
  FsResult<UniqueFd> parent = open_parent(path, leaf);
  if (!parent.ok()) return parent.error();
  int folder = parent->get();
  struct stat existing {};
  if (::fstatat(folder, leaf.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(existing.st_mode)) {
      return FsError{"EISDIR", fmt::format("'{}' is a folder", path)};
    }
    if (!S_ISREG(existing.st_mode) && !S_ISLNK(existing.st_mode)) {
      return FsError{"EACCES", fmt::format("'{}' is not a regular file ({})", path,
                                           type_of(existing.st_mode))};
    }
  }
  // The temporary file sits beside the target, so the rename stays in one filesystem. Its
  // name is random: isolates of one tenant write side by side, and a file left by a killed
  // process must not block a later one that happens to get the same pid.
  std::string temp;
  UniqueFd file;
  for (int attempt = 0; attempt < 8 && !file.valid(); ++attempt) {
    std::uint64_t nonce = 0;
    if (::getrandom(&nonce, sizeof nonce, 0) != sizeof nonce) nonce ^= temp_serial_++;
    temp = fmt::format(".krepis-write-{:016x}.tmp", nonce);
    file = UniqueFd(
        ::openat(folder, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!file.valid() && errno != EEXIST) break;
  }
  if (!file.valid()) return errno_error(errno, path);
  auto abandon = [&](FsError error) {
    file.reset();
    ::unlinkat(folder, temp.c_str(), 0);
    return error;
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    if (should_stop()) {
      return abandon(FsError{"ETIMEDOUT", fmt::format("the run was stopped while writing '{}'; "
                                                      "the file is unchanged",
                                                      path)});
    }
    ssize_t put =
        ::write(file.get(), bytes.data() + done, std::min(kChunkBytes, bytes.size() - done));
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return abandon(errno_error(errno, path));
    done += static_cast<std::size_t>(put);
  }
  if (::renameat(folder, temp.c_str(), folder, leaf.c_str()) != 0) {
    return abandon(errno_error(errno, path));
  }
  return Done{};
}

FsResult<Done> TenantFolder::mkdir(std::string_view path) const {
  if (auto error = check_path(path)) return *error;
  std::vector<std::string> parts = components(path);
  if (std::find(parts.begin(), parts.end(), "..") != parts.end()) {
    return FsError{"EINVAL", fmt::format("'{}': mkdir takes no '..'", path)};
  }
  std::string prefix;
  for (const std::string& part : parts) {
    prefix += prefix.empty() ? part : "/" + part;
    std::string leaf;
    FsResult<UniqueFd> parent = open_parent(prefix, leaf);
    if (!parent.ok()) return parent.error();
    if (::mkdirat(parent->get(), leaf.c_str(), 0755) == 0) continue;
    if (errno != EEXIST) return errno_error(errno, prefix);
    // It exists: it must be a folder (or a symlink to one inside the tenant's folder).
    FsResult<UniqueFd> existing = open_beneath(prefix, O_PATH | O_DIRECTORY);
    if (!existing.ok()) return existing.error();
  }
  return Done{};
}

FsResult<Done> TenantFolder::remove(std::string_view path) const {
  std::string leaf;
  FsResult<UniqueFd> parent = open_parent(path, leaf);
  if (!parent.ok()) return parent.error();
  if (::unlinkat(parent->get(), leaf.c_str(), 0) == 0) return Done{};
  if (errno == EISDIR && ::unlinkat(parent->get(), leaf.c_str(), AT_REMOVEDIR) == 0) {
    return Done{};
  }
  return errno_error(errno, path);
}

}  // namespace krepis

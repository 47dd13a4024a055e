// Landlock, the kernel's access control that any process may apply to itself: once
// restrict_files() returns, the calling thread and every thread it starts may open files
// only beneath the paths it was given, for the access they allow. The rule binds threads, not
// the process: it must be applied before the process has a second thread (confinement.h).
#pragma once

#include <filesystem>
#include <vector>

#include "core/base/result.h"

namespace krepis {

// A folder (or file) a confined process may use, and how.
struct PathAccess {
  std::filesystem::path path;
  // Read only (files and listings), or read and write: create, write, truncate, rename and
  // remove files and folders beneath it.
  bool write = false;
};

// The Landlock ABI version the kernel offers; 0 when it has none (too old, or disabled).
int landlock_abi();

// Denies every file access the kernel's Landlock can deny (and, from ABI 4, TCP bind and
// connect; from ABI 6, signals and abstract sockets to processes outside), except `paths`.
// A path that does not exist is skipped. Without Landlock, does nothing: the caller says so.
Result<Done> restrict_files(const std::vector<PathAccess>& paths);

}  // namespace krepis

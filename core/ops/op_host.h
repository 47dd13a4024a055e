// What the host ops of one sandbox share. Op callbacks are built once per isolate (cached
// templates), so they cannot hold a pointer to one run: they hold the sandbox's OpHost,
// whose `run` points at the run in progress and at nothing between runs, so a stale callback
// can never touch a run that is not its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/limits.h"
#include "core/base/run_output.h"
#include "core/base/stop_signal.h"
#include "core/engine/capped_allocator.h"
#include "core/engine/engine.h"
#include "core/ops/encoding.h"
#include "core/ops/js_builtins.h"
#include "core/ops/tenant_folder.h"
#include "core/ops/timers.h"

namespace krepis {

class UnhandledRejections;

// Per-run byte quotas of the fs ops, unless the tier says otherwise.
inline constexpr std::size_t kDefaultReadQuotaBytes = 32 * kMiB;
inline constexpr std::size_t kDefaultWriteQuotaBytes = 32 * kMiB;

// Who the sandbox runs for and what its tier grants; fixed for the sandbox's life.
struct OpGrants {
  std::string tenant_id = "default";
  std::string tier = "default";
  std::vector<std::string> ops;  // grant names, see core/ops/grants.h
  std::optional<std::filesystem::path> fs_root;
  std::map<std::string, std::string> env;
  std::size_t read_quota_bytes = kDefaultReadQuotaBytes;
  std::size_t write_quota_bytes = kDefaultWriteQuotaBytes;
  // What one run may log (the tier's max_output_lines and max_output_kb).
  OutputCaps output_caps = {};
  // The largest module file a run may import (the tier's max_script_mb).
  std::size_t max_module_bytes = 16 * kMiB;

  bool grants(std::string_view op) const;
};

// What console's counters, timers and groups hold during one run, and never longer: each run
// starts with none. Labels are bounded in number (kMaxConsoleLabels) and length.
struct ConsoleState {
  std::map<std::string, std::size_t> counts;
  std::map<std::string, std::chrono::steady_clock::time_point> timers;
  int group_depth = 0;
};

// The run in progress, as ops see it.
struct OpRun {
  RunOutput* output = nullptr;
  UnhandledRejections* rejections = nullptr;
  StopSignal* stop = nullptr;
  std::chrono::steady_clock::time_point started;
  std::chrono::milliseconds deadline{0};
  std::size_t bytes_read = 0;
  std::size_t bytes_written = 0;
  ConsoleState console;
  RunTimers timers;
};

struct OpHost {
  OpGrants grants;
  // Open when the tier grants fs.read or fs.write.
  std::optional<TenantFolder> folder;
  FsError folder_error;  // why `folder` is empty although the tier grants fs ops
  CappedAllocator* allocator = nullptr;
  // The process's engine, for the code caches of built-in JavaScript.
  Engine* engine = nullptr;
  // Null between runs.
  OpRun* run = nullptr;
  // TextEncoder's and TextDecoder's templates, once made (core/ops/encoding.h).
  EncodingTemplates encoding;
  // The built-in JavaScript, compiled once per isolate (core/ops/js_builtins.h).
  JsBuiltinScripts js_builtins;
};

}  // namespace krepis

// Where a job's ES modules come from (module_specifier.h says how a specifier resolves
// beneath it): which scripts are modules, and the root each kind of job imports from.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/job.h"

namespace krepis {

// The script of `path` is an ES module: a .mjs file always; any other when `--module` or the
// tenant's script_type says so (`modules_by_default`).
bool is_module_script(std::string_view path, bool modules_by_default);

// `folder` as a job's module_root holds it: absolute (from the current folder) and normal.
std::string module_root_path(const std::filesystem::path& folder);

// Roots the job's imports in `folder` (made absolute), named `name` in reports, the script
// itself at `entry` beneath it (empty when it has no file).
void set_module_root(Job& job, const std::filesystem::path& folder, std::string name,
                     std::string entry);

// A folder no root may be: "/" and the kernel's /dev, /proc and /sys, which a script in them
// (`krepis run /dev/stdin`) would otherwise open to its imports and to the process's
// Landlock rules. Says why, or nothing when `folder` may be a root.
std::optional<std::string> unfit_module_root(const std::filesystem::path& folder);

// The root of a script run from the command line: `module_root` when given (--module-root;
// the script must then be beneath it to import relative to itself), else the script's own
// folder, named as given ("examples/jobs"; "" for the current folder). A script without a
// file (-e, stdin: `path` empty) has no root without --module-root: its imports are refused.
// A root that is unfit (above) is not set either. Returns why there is no root, if any.
std::optional<std::string> set_module_root_of_script(
    Job& job, const std::filesystem::path& path,
    const std::optional<std::filesystem::path>& module_root);

}  // namespace krepis

// Where an ES module's import may lead: the rule krepis resolves specifiers by, as plain
// text (no file is opened here; the module graph opens the result beneath the job's root
// with openat2, which is what confines it: this only refuses early and says why).
//
// A specifier is relative ("./x.mjs", "../lib/y.js", taken from the importing file's folder)
// or root-relative ("krepis:/lib/y.js", what import.meta.url gives); the result is a path
// beneath the root ("lib/y.js") that never climbs above it. Bare names (packages), absolute
// paths and other URLs are refused: there is no package lookup, no host path, no network.
// Only .mjs, .js and .json files can be imported, and no name on the way may start with '.',
// so neither a file of another kind beneath the root (a key) nor anything hidden (a dotfile,
// `.config/…`, `.git/…`) is ever read as a module.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace krepis {

// import.meta.url of a module at `path` beneath the root: "krepis:/lib/y.js".
inline constexpr std::string_view kModuleUrlScheme = "krepis:/";

// The longest specifier resolved; a longer one is refused.
inline constexpr std::size_t kMaxSpecifierBytes = 4096;

enum class ModuleType { kJavaScript, kJson };

struct ModuleRequest {
  std::string path;  // beneath the root, normalised: "lib/y.js"
  ModuleType type = ModuleType::kJavaScript;
};

// Resolves `specifier`, imported by the module at `referrer` (its path beneath the root;
// empty for a script that has no file, such as -e or a REPL entry, which imports from the
// root). `json` is whether the import asserts { type: 'json' }. The error says why, without
// the referrer (the caller names it and the line).
Result<ModuleRequest> resolve_module_specifier(std::string_view referrer,
                                               std::string_view specifier, bool json);

// import.meta.url of the module at `path` beneath the root: "krepis:/lib/y.js", with what a
// URL path may not hold %-escaped (resolve_module_specifier reads it back).
std::string module_url(std::string_view path);

}  // namespace krepis

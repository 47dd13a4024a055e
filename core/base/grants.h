// The names a tier may list in its `ops`: each grants one family of restricted host ops.
// Shared ops (console, krepis.stats, krepis.tenant) need no grant: every tenant has them.
#pragma once

#include <array>
#include <string>

namespace krepis {

inline const std::array<std::string, 3>& known_grants() {
  static const std::array<std::string, 3> kGrants = {
      "fs.read",   // krepis.fs.readText, readBytes, list, stat under the tenant's fs_root
      "fs.write",  // krepis.fs.writeText, writeBytes, mkdir, remove under the tenant's fs_root
      "env",       // krepis.env.get over the tenant's own env table
  };
  return kGrants;
}

}  // namespace krepis

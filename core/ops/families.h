// The install function of each op family; the registry (registry.cc) lists them.
#pragma once

#include "core/ops/registry.h"

namespace krepis {

void install_stats(OpInstaller& installer);     // krepis.stats(), krepis.tenant
void install_fs_read(OpInstaller& installer);   // grant "fs.read"
void install_fs_write(OpInstaller& installer);  // grant "fs.write"
void install_env(OpInstaller& installer);       // grant "env"

// Defined only by the test programs (tests/hooks/native_hooks.cc): `krepis.test`, ops that do
// from native code what tenant code must never manage to do, so that tests can show the OS
// sandbox stops them. The krepis binary has no definition: the weak symbol is then null, and
// no tenant gets them.
[[gnu::weak]] void install_native_test_hooks(OpInstaller& installer);

}  // namespace krepis

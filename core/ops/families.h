// The install function of each op family; the registry (registry.cc) lists them.
#pragma once

#include "core/ops/registry.h"

namespace krepis {

void install_stats(OpInstaller& installer);     // krepis.stats(), krepis.tenant
void install_fs_read(OpInstaller& installer);   // grant "fs.read"
void install_fs_write(OpInstaller& installer);  // grant "fs.write"
void install_env(OpInstaller& installer);       // grant "env"

}  // namespace krepis

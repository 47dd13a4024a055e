// The dynamic loader's tables: each loaded object's symbols, their names and hashes, and its
// relocations, in the first of its segments (read-only, mapped from its file). The loader
// reads them all while the process starts (libnode is bound at once, ~60,000 relocations);
// libnode's alone are 8.8 MiB of the process's resident memory, a quarter of a lone run's.
// Little reads them again: the first calls into the libraries bound lazily (libstdc++, libc),
// dlsym, a later dlopen; ~1.7 MiB comes back in a run. Given back to the kernel, they stay in
// the page cache, shared with every other process, and whatever reads them faults the pages
// it needs back in from there.
#pragma once

#include <cstddef>

namespace krepis {

// Gives back the pages of each loaded object's first segment, if it is read-only (neither
// written nor executed: the same bytes as its file) and its object has no text relocations.
// Call once the loader is done binding, at the start of main. Returns the bytes given back.
std::size_t release_loader_tables();

}  // namespace krepis

#include "core/base/loader_tables.h"

#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace krepis {
namespace {

struct Release {
  std::uintptr_t page_size = 0;
  std::uintptr_t vdso = 0;  // the kernel's object, not a file's
  std::size_t bytes = 0;
};

// An object whose text the loader wrote to (text relocations): its read-only segments may
// hold bytes that are not its file's, and giving them back would lose them.
bool has_text_relocations(const dl_phdr_info& info) {
  for (ElfW(Half) i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info.dlpi_phdr[i];
    if (segment.p_type != PT_DYNAMIC) continue;
    const auto* entry = reinterpret_cast<const ElfW(Dyn)*>(info.dlpi_addr + segment.p_vaddr);
    for (; entry->d_tag != DT_NULL; ++entry) {
      if (entry->d_tag == DT_TEXTREL) return true;
      if (entry->d_tag == DT_FLAGS && (entry->d_un.d_val & DF_TEXTREL) != 0) return true;
    }
  }
  return false;
}

int release_object(dl_phdr_info* info, std::size_t, void* data) {
  Release& release = *static_cast<Release*>(data);
  if (info->dlpi_addr == release.vdso || has_text_relocations(*info)) return 0;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD || segment.p_offset != 0 ||
        (segment.p_flags & (PF_W | PF_X)) != 0) {
      continue;
    }
    // Whole pages only: a page the segment shares with the next one (when segments are not
    // page-aligned) is left alone.
    const std::uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
    const std::uintptr_t end = (begin + segment.p_filesz) / release.page_size * release.page_size;
    if (begin % release.page_size != 0 || end <= begin) continue;
    // MADV_DONTNEED on a private file mapping drops the pages from this process (not from the
    // page cache); a later read maps the file's bytes again.
    if (::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) == 0) {
      release.bytes += end - begin;
    }
  }
  return 0;
}

}  // namespace

std::size_t release_loader_tables() {
  Release release;
  release.page_size = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  release.vdso = ::getauxval(AT_SYSINFO_EHDR);
  ::dl_iterate_phdr(&release_object, &release);
  return release.bytes;
}

}  // namespace krepis

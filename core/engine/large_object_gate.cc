#include "core/engine/large_object_gate.h"

namespace krepis {
namespace {

bool inaccessible(v8::PageAllocator::Permission permissions) {
  return permissions == v8::PageAllocator::kNoAccess ||
         permissions == v8::PageAllocator::kNoAccessWillJitLater;
}

bool writable(v8::PageAllocator::Permission permissions) {
  return permissions == v8::PageAllocator::kReadWrite ||
         permissions == v8::PageAllocator::kReadWriteExecute;
}

std::uintptr_t address_of(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

}  // namespace

void GatedPages::set_gate(v8::Isolate* isolate, LargeObjectGate* gate) {
  std::lock_guard lock(mutex_);
  if (gate == nullptr) {
    gates_.erase(isolate);
  } else {
    gates_[isolate] = gate;
  }
}

void* GatedPages::AllocatePages(void* hint, std::size_t length, std::size_t alignment,
                                Permission permissions) {
  void* address = inner_.AllocatePages(hint, length, alignment, permissions);
  // A heap chunk is aligned to a heap page; a WebAssembly memory's reservation only to its
  // 64 KiB pages (and it is committed from its base as it grows).
  if (address != nullptr && length > kLargeBytes && alignment >= kLargeBytes &&
      inaccessible(permissions)) {
    std::lock_guard lock(mutex_);
    large_[address_of(address)] = length;
  }
  return address;
}

void GatedPages::forget(void* address) {
  std::lock_guard lock(mutex_);
  large_.erase(address_of(address));
}

bool GatedPages::FreePages(void* address, std::size_t length) {
  if (length > kLargeBytes) forget(address);
  return inner_.FreePages(address, length);
}

bool GatedPages::ReleasePages(void* address, std::size_t length, std::size_t new_length) {
  // Only ever shrinks a chunk that is in use already: it will not be committed whole again.
  if (length > kLargeBytes) forget(address);
  return inner_.ReleasePages(address, length, new_length);
}

bool GatedPages::admits(void* address, std::size_t length) {
  // A thread that has entered no isolate is one of V8's helpers (GC, compilation): what it
  // allocates is not a script's doing.
  v8::Isolate* isolate = v8::Isolate::TryGetCurrent();
  if (isolate == nullptr) return true;
  LargeObjectGate* gate = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto chunk = large_.find(address_of(address));
    if (chunk == large_.end() || chunk->second != length) return true;
    auto found = gates_.find(isolate);
    if (found == gates_.end()) return true;
    gate = found->second;
  }
  // Outside the lock: the gate may request termination. It cannot be removed meanwhile, as
  // this thread holds its isolate.
  if (!gate->may_commit(length)) return false;
  // Let in: later commits are not the object's (V8 may make a large code object writable
  // again, and expects that to succeed). A refused chunk tried again is asked again.
  forget(address);
  return true;
}

bool GatedPages::SetPermissions(void* address, std::size_t length, Permission permissions) {
  if (length > kLargeBytes && writable(permissions) && !admits(address, length)) return false;
  return inner_.SetPermissions(address, length, permissions);
}

}  // namespace krepis

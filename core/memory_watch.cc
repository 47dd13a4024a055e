#include "core/memory_watch.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>

namespace krepis {
namespace {

// Fast enough that a builtin writing gigabytes a second overshoots by a few MiB at most.
constexpr auto kEvery = std::chrono::milliseconds(1);

// How far past its cap a run may grow the process before it is ended: room for what a heap
// at its cap costs beyond the objects in it (free space in pages, the young generation, GC
// bookkeeping, a compaction's copies), which a run within its cap must never be ended for.
// An incremental heap bomb under a 128 MiB cap grows the process by up to ~150 MiB.
std::size_t slack_for(std::size_t cap_bytes) {
  return std::max<std::size_t>(16 * kMiB, cap_bytes / 4);
}

}  // namespace

MemoryWatch::MemoryWatch()
    : statm_(::open("/proc/self/statm", O_RDONLY | O_CLOEXEC)),
      thread_([this](std::stop_token stop) { loop(stop); }) {}

MemoryWatch::~MemoryWatch() {
  thread_.request_stop();
  thread_.join();
}

std::size_t MemoryWatch::resident_bytes() const {
  char text[128];
  ssize_t n = ::pread(statm_.get(), text, sizeof text - 1, 0);
  if (n <= 0) return 0;
  text[n] = '\0';
  unsigned long size = 0, resident = 0;
  if (std::sscanf(text, "%lu %lu", &size, &resident) != 2) return 0;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

MemoryWatch::Watching::Watching(MemoryWatch& watch, Sandbox& sandbox) : watch_(watch) {
  const std::size_t now = watch.resident_bytes();
  std::lock_guard lock(watch.mutex_);
  if (now == 0) return;  // no /proc: V8's own guards are all there is
  watch.sandbox_ = &sandbox;
  watch.start_ = now;
  watch.limit_ = now + sandbox.heap_cap_bytes() + slack_for(sandbox.heap_cap_bytes());
}

MemoryWatch::Watching::~Watching() {
  std::lock_guard lock(watch_.mutex_);
  watch_.sandbox_ = nullptr;
}

void MemoryWatch::loop(std::stop_token stop) {
  std::mutex sleeping;
  std::condition_variable_any wake;
  std::unique_lock sleep_lock(sleeping);
  while (!stop.stop_requested()) {
    wake.wait_for(sleep_lock, stop, kEvery, [] { return false; });
    std::lock_guard lock(mutex_);
    if (sandbox_ == nullptr) continue;
    const std::size_t now = resident_bytes();
    // Ends the process (the sandbox's last words) while the run is still in progress: the
    // lock keeps the run's Watching, and so the run, from ending meanwhile.
    if (now > limit_) sandbox_->end_for_memory(now - start_);
  }
}

}  // namespace krepis

#include "core/runtime/memory_watch.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace krepis {
namespace {

// A run is first sampled 5 ms after its start, then every 1 ms for as long as it lasts: most
// runs end before the first sample, and waking every millisecond would cost a busy worker
// ~10 % of its throughput. The process's memory grows at most ~3 GiB/s (page faults), so a
// builtin is ended a few MiB past its allowance.
constexpr auto kFirstSample = std::chrono::milliseconds(5);
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
      page_bytes_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))),
      thread_([this](std::stop_token stop) { loop(stop); }) {}

std::size_t MemoryWatch::resident_bytes() const {
  // "size resident shared ...", in pages. Read at every run's start: parsed by hand, as
  // sscanf cost more than the read.
  char text[128];
  ssize_t n = ::pread(statm_.get(), text, sizeof text, 0);
  if (n <= 0) return 0;
  const char* end = text + n;
  const char* resident_at = std::find(static_cast<const char*>(text), end, ' ');
  std::size_t resident = 0;
  if (resident_at == end || std::from_chars(resident_at + 1, end, resident).ec != std::errc{}) {
    return 0;
  }
  return resident * page_bytes_;
}

MemoryWatch::Watching::Watching(MemoryWatch& watch, Sandbox& sandbox) : watch_(watch) {
  const std::size_t now = watch.resident_bytes();
  std::lock_guard lock(watch.mutex_);
  if (now == 0) return;  // no /proc: V8's own guards are all there is
  watch.sandbox_ = &sandbox;
  ++watch.runs_;
  watch.start_ = now;
  watch.limit_ = now + sandbox.heap_cap_bytes() + slack_for(sandbox.heap_cap_bytes());
  watch.first_sample_ = std::chrono::steady_clock::now() + kFirstSample;
  // Asleep towards an earlier run's first sample, the thread wakes in time for this one's
  // (runs start in order): only a thread asleep with nothing to watch needs waking.
  if (watch.sleeping_until_ > watch.first_sample_) watch.sleeper_.wake();
}

MemoryWatch::Watching::~Watching() {
  std::lock_guard lock(watch_.mutex_);
  watch_.sandbox_ = nullptr;
}

void MemoryWatch::loop(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  std::uint64_t sampled = 0;  // the run sampled last; 0 if none
  Time next_sample = Time::max();
  for (;;) {
    if (sandbox_ == nullptr) {
      next_sample = Time::max();
    } else if (runs_ != sampled) {
      next_sample = first_sample_;  // a run not sampled yet: at its fifth millisecond
    }
    sleeping_until_ = next_sample;
    const bool go = next_sample == Time::max() ? sleeper_.sleep(lock, stop)
                                               : sleeper_.sleep_until(lock, stop, next_sample);
    sleeping_until_ = Time::min();
    if (!go) break;
    const Time now = std::chrono::steady_clock::now();
    // Nothing to watch, or a run younger than 5 ms (the one this sleep was for has ended).
    if (sandbox_ == nullptr || (runs_ != sampled && now < first_sample_)) continue;
    sampled = runs_;
    next_sample = now + kEvery;
    const std::size_t resident = resident_bytes();
    // Ends the process (the sandbox's last words) while the run is still in progress: the
    // lock keeps the run's Watching, and so the run, from ending meanwhile.
    if (resident > limit_) sandbox_->end_for_memory(resident - start_);
  }
}

}  // namespace krepis

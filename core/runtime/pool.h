// The pool of warm engine instances (isolates), keyed by tenant. A run leases an idle warm
// instance of its tenant, or one is created for it (cold); two tenants never share one.
//
// Caps: the pool holds at most `max_isolates` instances; past it the least recently used
// idle instance (of any tenant) is evicted to make room. A tenant holds at most its own
// `max_isolates`, so its concurrent runs grow its share up to that and then wait; a run that
// finds its tenant or the pool at the cap waits for a release, it never fails.
//
// On release an instance goes back idle, or is retired (after max_runs_per_isolate runs, or
// when it retains memory across runs, as retained_bytes() says: a leak guard) or
// replaced (it hit its cap, crashed, or could not be stopped cleanly: never reused). Idle
// instances past idle_timeout are disposed; one in use never is.
//
// The pool is a template over the instance so its policy is tested with a fake instance and
// an injected clock (tests/unit/pool_test.cc); krepis uses SandboxPool (sandbox_pool.h).
// Instance needs: bool reusable(), size_t runs_done(), size_t retained_bytes(),
// size_t heap_cap_bytes(), void settle(). Instances are created, settled and disposed
// outside the pool's lock.
//
// Thread-safe: any number of threads may acquire and release at once.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/base/manifest.h"
#include "core/base/pool_figures.h"

namespace krepis {

template <class Instance>
class BasicPool {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Creates an instance for a tenant; may throw, and the run then fails in the caller.
  using Factory = std::function<std::unique_ptr<Instance>(const TenantSpec&)>;

  // A leased instance, returned to the pool when the lease ends.
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)),
          tenant_(std::move(other.tenant_)),
          instance_(std::move(other.instance_)),
          cold_(other.cold_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->release(tenant_, std::move(instance_));
    }
    Instance& operator*() const { return *instance_; }
    Instance* operator->() const { return instance_.get(); }
    // Created for this lease rather than found warm.
    bool cold() const { return cold_; }

   private:
    friend class BasicPool;
    Lease(BasicPool* pool, std::string tenant, std::unique_ptr<Instance> instance, bool cold)
        : pool_(pool), tenant_(std::move(tenant)), instance_(std::move(instance)), cold_(cold) {}
    BasicPool* pool_;
    std::string tenant_;
    std::unique_ptr<Instance> instance_;
    bool cold_;
  };

  BasicPool(
      PoolSettings settings, Factory factory,
      Clock clock = [] { return std::chrono::steady_clock::now(); })
      : settings_(settings), factory_(std::move(factory)), clock_(std::move(clock)) {}
  // Every lease must have ended before the pool does.
  ~BasicPool() = default;
  BasicPool(const BasicPool&) = delete;
  BasicPool& operator=(const BasicPool&) = delete;

  // Blocks while the tenant holds max_isolates instances, all in use, or the pool holds
  // max_isolates, all in use.
  Lease acquire(const TenantSpec& tenant) {
    std::vector<std::unique_ptr<Instance>> doomed;
    std::unique_lock lock(mutex_);
    for (;;) {
      collect_expired(doomed);
      if (auto warm = take_idle(tenant, doomed)) {
        ++figures_.hits;
        lock.unlock();
        return Lease(this, tenant.id, std::move(warm), false);
      }
      std::size_t& held = held_[tenant.id];
      if (held < tenant.max_isolates) {
        if (total_ < settings_.max_isolates) break;
        if (!idle_.empty()) {
          // The least recently used idle instance makes room.
          doomed.push_back(std::move(idle_.front().instance));
          forget_idle(idle_.begin());
          ++figures_.evictions;
          break;
        }
      }
      ++waiting_;
      changed_.wait(lock);
      --waiting_;
    }
    // Reserve the place, then create outside the lock: creation takes milliseconds.
    ++held_[tenant.id];
    ++total_;
    ++figures_.cold_starts;
    lock.unlock();
    doomed.clear();
    std::unique_ptr<Instance> created;
    try {
      created = factory_(tenant);
    } catch (...) {
      give_back_place(tenant.id);
      throw;
    }
    return Lease(this, tenant.id, std::move(created), true);
  }

  // Disposes the idle instances that passed idle_timeout, and settles (a full GC that gives
  // memory back) those idle for settle_after and not settled yet. Acquire and release
  // dispose too; call this when the pool may sit unused for a while (a REPL waiting for
  // input, a batch's main thread).
  void sweep() {
    std::vector<std::unique_ptr<Instance>> doomed;
    std::vector<Idle> settling;
    {
      std::lock_guard lock(mutex_);
      collect_expired(doomed);
      const auto now = clock_();
      for (auto it = idle_.begin(); it != idle_.end();) {
        if (it->settled || now - it->since < settings_.settle_after) {
          ++it;
          continue;
        }
        // Out of the list while it settles, so no run takes it meanwhile; it keeps its place
        // in the counts.
        settling.push_back(std::move(*it));
        it = idle_.erase(it);
      }
    }
    changed_.notify_all();
    doomed.clear();
    if (settling.empty()) return;
    for (Idle& entry : settling) {
      entry.instance->settle();
      entry.settled = true;
    }
    {
      std::lock_guard lock(mutex_);
      for (Idle& entry : settling) {
        // Back in least-recently-used order: it was idle longer than anything released since.
        auto position = std::find_if(idle_.begin(), idle_.end(),
                                     [&](const Idle& other) { return other.since > entry.since; });
        idle_.insert(position, std::move(entry));
      }
      figures_.settled += settling.size();
    }
    changed_.notify_all();
  }

  PoolFigures figures() const {
    std::lock_guard lock(mutex_);
    PoolFigures figures = figures_;
    figures.alive = total_;
    figures.idle = idle_.size();
    figures.waiting = waiting_;
    return figures;
  }

  const PoolSettings& settings() const { return settings_; }

 private:
  struct Idle {
    std::string tenant;
    std::unique_ptr<Instance> instance;
    std::chrono::steady_clock::time_point since;
    bool settled = false;
  };
  using IdleList = std::list<Idle>;  // least recently used first

  void release(const std::string& tenant, std::unique_ptr<Instance> instance) {
    // The instance is ours alone until it is back in the list: read it without the lock.
    enum class Fate { kKeep, kRetire, kReplace } fate = Fate::kKeep;
    if (!instance->reusable()) {
      fate = Fate::kReplace;
    } else if (instance->runs_done() >= settings_.max_runs_per_isolate ||
               instance->retained_bytes() > 0) {
      fate = Fate::kRetire;
    }
    std::vector<std::unique_ptr<Instance>> doomed;
    {
      std::lock_guard lock(mutex_);
      collect_expired(doomed);
      if (fate == Fate::kKeep) {
        idle_.push_back(Idle{tenant, std::move(instance), clock_()});
      } else {
        fate == Fate::kReplace ? ++figures_.replacements : ++figures_.retirements;
        doomed.push_back(std::move(instance));
        drop_place(tenant);
      }
    }
    changed_.notify_all();
    doomed.clear();
  }

  // The most recently used idle instance of the tenant, if one fits its current limits; idle
  // ones made for other limits (a REPL's `.limits`) are retired on the way.
  std::unique_ptr<Instance> take_idle(const TenantSpec& tenant,
                                      std::vector<std::unique_ptr<Instance>>& doomed) {
    for (auto it = idle_.end(); it != idle_.begin();) {
      --it;
      if (it->tenant != tenant.id) continue;
      std::unique_ptr<Instance> instance = std::move(it->instance);
      if (instance->heap_cap_bytes() == tenant.limits.heap_bytes) {
        idle_.erase(it);  // leased: it keeps its place in the counts
        return instance;
      }
      forget_idle(it);
      ++figures_.retirements;
      doomed.push_back(std::move(instance));
      it = idle_.end();
    }
    return nullptr;
  }

  void collect_expired(std::vector<std::unique_ptr<Instance>>& doomed) {
    const auto now = clock_();
    for (auto it = idle_.begin(); it != idle_.end();) {
      if (now - it->since < settings_.idle_timeout) {
        ++it;
        continue;
      }
      doomed.push_back(std::move(it->instance));
      ++figures_.idle_disposals;
      auto next = std::next(it);
      forget_idle(it);
      it = next;
    }
  }

  // Removes an idle entry whose instance was moved out, and its place in the counts.
  void forget_idle(typename IdleList::iterator it) {
    std::string tenant = it->tenant;
    idle_.erase(it);
    drop_place(tenant);
  }

  void drop_place(const std::string& tenant) {
    --total_;
    if (--held_[tenant] == 0) held_.erase(tenant);
  }

  void give_back_place(const std::string& tenant) {
    {
      std::lock_guard lock(mutex_);
      --figures_.cold_starts;
      drop_place(tenant);
    }
    changed_.notify_all();
  }

  const PoolSettings settings_;
  const Factory factory_;
  const Clock clock_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  IdleList idle_;
  // Instances per tenant: idle, in use, or being created.
  std::map<std::string, std::size_t> held_;
  std::size_t total_ = 0;
  std::size_t waiting_ = 0;
  PoolFigures figures_;
};

}  // namespace krepis

// Hands a batch's jobs to workers. Tenant affinity: a worker keeps taking its last tenant's
// jobs (its isolate stays warm) for a streak, then moves on round-robin, so no tenant waits
// behind a big one. Each worker process keeps its own warm isolates, so the round-robin
// prefers the tenants this worker has run and those no worker has run yet: a tenant warm in
// another worker is taken only when nothing else is left, and every worker warms about its
// share of the tenants rather than all of them. Several workers may run one tenant at once,
// up to the tenant's cap (its max_isolates): a tenant with many jobs grows, and a worker
// never picks a tenant that would only make it wait in the pool while another tenant has
// work. A tenant that needs a worker process of its own (worker_lock.h) keeps the worker it
// has for a longer streak (kLockedStreak): moving on costs a new process.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace krepis {

class Scheduler {
 public:
  // What a worker remembers between jobs.
  struct Affinity {
    std::string tenant;
    std::size_t streak = 0;
    std::set<std::size_t> warm;  // the tenants (queues) this worker has run
  };
  // Jobs of one tenant in a row before a worker looks at the others.
  static constexpr std::size_t kStreak = 8;
  // The same for a tenant that keeps its worker: a new worker process (~20 ms and cold
  // isolates) is then paid at most once per 64 jobs, and no other tenant waits longer.
  static constexpr std::size_t kLockedStreak = 64;

  // tenants[i] is the tenant of job i; cap(tenant) bounds its jobs in flight; a tenant that
  // `keeps_worker` names keeps its worker for kLockedStreak jobs.
  Scheduler(const std::vector<std::string>& tenants,
            const std::function<std::size_t(const std::string&)>& cap,
            const std::function<bool(const std::string&)>& keeps_worker = {});

  // The next job for a worker, or nothing when every job was handed out or stop() was called.
  // While jobs remain but every tenant that has some is at its cap, blocks; or, with
  // `wait` false, returns nothing (a worker that still has work only looks ahead).
  std::optional<std::size_t> next(Affinity& affinity, bool wait = true);
  // The job (handed out by next) is finished.
  void done(std::size_t job);
  // No job is handed out after this; callable from any thread.
  void stop();
  std::size_t not_started() const;

 private:
  struct Queue {
    std::string tenant;
    std::deque<std::size_t> jobs;
    std::size_t in_flight = 0;
    std::size_t cap = 1;
    std::size_t warm_in = 0;  // workers that have run this tenant
    bool keeps_worker = false;
    bool eligible() const { return !jobs.empty() && in_flight < cap; }
  };
  std::size_t take(std::size_t index, Affinity& affinity);

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Queue> queues_;  // in order of first appearance
  std::map<std::string, std::size_t> queue_of_;
  std::vector<std::size_t> job_queue_;
  std::size_t cursor_ = 0;
  std::size_t remaining_ = 0;
  bool stopped_ = false;
};

}  // namespace krepis

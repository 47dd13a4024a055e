#include "core/batch/scheduler.h"

namespace krepis {

Scheduler::Scheduler(const std::vector<std::string>& tenants,
                     const std::function<std::size_t(const std::string&)>& cap,
                     const std::function<bool(const std::string&)>& keeps_worker) {
  for (std::size_t job = 0; job < tenants.size(); ++job) {
    auto [entry, created] = queue_of_.try_emplace(tenants[job], queues_.size());
    if (created) {
      queues_.push_back(Queue{tenants[job], {}, 0, std::max<std::size_t>(1, cap(tenants[job])), 0,
                              keeps_worker && keeps_worker(tenants[job])});
    }
    queues_[entry->second].jobs.push_back(job);
    job_queue_.push_back(entry->second);
  }
  remaining_ = tenants.size();
}

std::size_t Scheduler::take(std::size_t index, Affinity& affinity) {
  Queue& queue = queues_[index];
  if (affinity.warm.insert(index).second) ++queue.warm_in;
  std::size_t job = queue.jobs.front();
  queue.jobs.pop_front();
  ++queue.in_flight;
  --remaining_;
  affinity.streak = affinity.tenant == queue.tenant ? affinity.streak + 1 : 1;
  affinity.tenant = queue.tenant;
  return job;
}

std::optional<std::size_t> Scheduler::next(Affinity& affinity, bool wait) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopped_ || remaining_ == 0) return std::nullopt;
    auto last = queue_of_.find(affinity.tenant);
    const std::size_t own = last == queue_of_.end() ? queues_.size() : last->second;
    const bool own_eligible = own < queues_.size() && queues_[own].eligible();
    const std::size_t streak = own < queues_.size() && queues_[own].keeps_worker ? kLockedStreak
                                                                                 : kStreak;
    if (own_eligible && affinity.streak < streak) {
      return take(own, affinity);
    }
    // Round-robin over the other tenants, from where the last pick left off: first those
    // warm here or nowhere yet, then those warm only in another worker.
    for (bool elsewhere : {false, true}) {
      for (std::size_t step = 0; step < queues_.size(); ++step) {
        std::size_t index = (cursor_ + step) % queues_.size();
        const Queue& queue = queues_[index];
        if (index == own || !queue.eligible()) continue;
        const bool warm_elsewhere = !affinity.warm.contains(index) && queue.warm_in > 0;
        if (warm_elsewhere && !elsewhere) continue;
        cursor_ = index + 1;
        return take(index, affinity);
      }
    }
    // Nobody else can use this worker: stay with the own tenant, streak or not.
    if (own_eligible) {
      affinity.streak = 0;
      return take(own, affinity);
    }
    if (!wait) return std::nullopt;
    changed_.wait(lock);
  }
}

void Scheduler::done(std::size_t job) {
  {
    std::lock_guard lock(mutex_);
    --queues_[job_queue_[job]].in_flight;
  }
  changed_.notify_all();
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  changed_.notify_all();
}

std::size_t Scheduler::not_started() const {
  std::lock_guard lock(mutex_);
  return remaining_;
}

}  // namespace krepis

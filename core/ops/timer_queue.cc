#include "core/ops/timer_queue.h"

#include <algorithm>

namespace krepis {

std::optional<TimerQueue::Id> TimerQueue::add(Time now, Duration delay, bool repeating,
                                              bool keeps_run_alive) {
  if (last_id_ == kMaxId) return std::nullopt;
  const Id id = ++last_id_;
  Timer& timer = timers_[id];
  timer = Timer{0, static_cast<std::int32_t>(delay.count()), repeating, keeps_run_alive};
  if (keeps_run_alive) ++keeping_alive_;
  push(now + delay, id, timer);
  compact_if_mostly_stale();
  return id;
}

bool TimerQueue::cancel(Id id) {
  auto found = timers_.find(id);
  if (found == timers_.end()) return false;
  if (found->second.keeps_run_alive) --keeping_alive_;
  timers_.erase(found);
  compact_if_mostly_stale();
  return true;
}

std::optional<TimerQueue::Time> TimerQueue::next_due(bool any_timer) {
  if (keeping_alive_ == 0 && !(any_timer && !timers_.empty())) return std::nullopt;
  settle_top();
  return heap_.front().due;  // a timer is live, so the heap holds its entry
}

std::optional<TimerQueue::Id> TimerQueue::take_due(Time now) {
  settle_top();
  if (heap_.empty() || heap_.front().due > now) return std::nullopt;
  const Id id = heap_.front().id;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  heap_.pop_back();
  auto found = timers_.find(id);
  if (found->second.repeating) {
    push(now + Duration(found->second.delay_ms), id, found->second);
  } else {
    if (found->second.keeps_run_alive) --keeping_alive_;
    timers_.erase(found);
  }
  return id;
}

std::size_t TimerQueue::held_bytes() const {
  // An unordered_map node is about its value, a next pointer and a cached hash.
  return heap_.capacity() * sizeof(Entry) +
         timers_.size() * (sizeof(std::pair<const Id, Timer>) + 2 * sizeof(void*)) +
         timers_.bucket_count() * sizeof(void*);
}

void TimerQueue::push(Time due, Id id, Timer& timer) {
  timer.seq = ++last_seq_;
  heap_.push_back(Entry{due, timer.seq, id});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

bool TimerQueue::stale(const Entry& entry) const {
  auto found = timers_.find(entry.id);
  return found == timers_.end() || found->second.seq != entry.seq;
}

void TimerQueue::settle_top() {
  while (!heap_.empty() && stale(heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
}

void TimerQueue::compact_if_mostly_stale() {
  if (heap_.size() <= 2 * timers_.size() + 64) return;
  std::erase_if(heap_, [this](const Entry& entry) { return stale(entry); });
  std::make_heap(heap_.begin(), heap_.end(), later);
  heap_.shrink_to_fit();
}

}  // namespace krepis

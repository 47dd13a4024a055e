#include "core/batch/process_worker.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/batch/worker_wire.h"

namespace krepis {

ProcessWorker::ProcessWorker(ChildMain child_main, std::chrono::milliseconds grace, LockRule locks,
                             std::chrono::milliseconds unread_at_most)
    : child_main_(std::move(child_main)),
      grace_(grace),
      locks_(std::move(locks)),
      unread_at_most_(unread_at_most) {}

ProcessWorker::~ProcessWorker() {
  // Every reply is in; the child has nothing left to say, and tearing down its V8 and its
  // warm isolates would only keep the batch from ending.
  if (child_) end_child(ChildProcess::Ending::kStop);
}

const TenantSpec* ProcessWorker::lock_for(const TenantSpec& tenant) const {
  return locks_ && locks_(tenant) ? &tenant : nullptr;
}

Result<Done> ProcessWorker::start_child(const TenantSpec* lock) {
  Result<ChildProcess> started = ChildProcess::start(
      [this, lock](int socket, int control) { return child_main_(socket, control, lock); });
  if (!started.ok()) return started.error();
  child_.emplace(std::move(started).value());
  replies_.emplace(child_->socket());
  sent_ = 0;
  child_lock_ = lock;
  ++gone_.worker_starts;  // counted by the parent: no child knows it was started anew
  return Done{};
}

std::string ProcessWorker::end_child(ChildProcess::Ending ending) {
  add_ended(gone_, live_);
  live_ = PoolFigures{};
  std::string how = child_->end(ending);
  child_.reset();
  replies_.reset();
  return how;
}

RunReport ProcessWorker::died(std::chrono::steady_clock::time_point started,
                              const std::string& what) {
  Pending lost = std::move(pending_.front());
  pending_.pop_front();
  return crashed_in_child(lost.job, *lost.tenant, started, what);
}

Result<Done> ProcessWorker::deliver() {
  if (pending_.empty()) return Done{};
  const TenantSpec* lock = lock_for(*pending_.front().tenant);
  if (child_ && !pending_.front().sent && lock != child_lock_) {
    // Every job before the oldest was collected, and it needs a child locked otherwise:
    // the idle child ends, its warm isolates with it.
    end_child(ChildProcess::Ending::kExiting);
  }
  if (!child_) {
    Result<Done> started = start_child(lock);
    if (!started.ok()) return started;
    for (Pending& pending : pending_) pending.sent = false;
  }
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    Pending& pending = pending_[i];
    if (pending.sent) continue;
    // A job for another lock waits for a child of its own.
    if (lock_for(*pending.tenant) != child_lock_) break;
    // A child that died meanwhile shows when its reply is read; nothing to do here.
    // A call is asked only behind two jobs at least: with fewer (slow jobs, handed two at
    // once), each reply wakes this process, and no call waits unread.
    pending.wakes = ++sent_ % kJobsPerCall == 0 && i >= 2;
    if (!write_frame(child_->socket(), encode_job(pending.job, pending.wakes))) break;
    pending.sent = true;
  }
  return Done{};
}

void ProcessWorker::submit(const Job& job, const TenantSpec& tenant) {
  pending_.push_back(Pending{job, &tenant});
  // A child that cannot start is reported by collect().
  if (child_) static_cast<void>(deliver());
}

bool ProcessWorker::can_queue(const Job& job, const TenantSpec& tenant) const {
  constexpr std::size_t kQueuedBytes = 64 * 1024;
  if (!pending_.empty() && lock_for(*pending_.back().tenant) != lock_for(tenant)) return false;
  return job.source.size() + job.input_json.value_or("").size() < kQueuedBytes;
}

bool ProcessWorker::call_ahead() const {
  if (pending_.front().wakes) return false;  // its own reply wakes this process soonest
  return std::any_of(pending_.begin(), pending_.end(),
                     [](const Pending& pending) { return pending.sent && pending.wakes; });
}

bool ProcessWorker::sleep_until_call(std::chrono::steady_clock::time_point until) {
  // Replies come in order: whatever came begins with the oldest job's. It may have come
  // before a call that was taken with an earlier reply: look before sleeping.
  if (!replies_->take_ready() || replies_->holds_bytes()) return true;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return false;
    const ChildProcess::Call call = child_->await_call(
        std::min(unread_at_most_, std::chrono::ceil<std::chrono::milliseconds>(until - now)));
    if (!replies_->take_ready() || replies_->holds_bytes()) return true;
    if (call != ChildProcess::Call::kNone) return true;  // the reply's read tells or waits
  }
}

RunReport ProcessWorker::collect() {
  // The oldest job runs from now on at the latest (the reply before it has been read).
  const auto started = std::chrono::steady_clock::now();
  if (Result<Done> delivered = deliver(); !delivered.ok()) {
    return died(started, "could not start a worker process: " + delivered.error().message);
  }
  const Job& job = pending_.front().job;
  const auto until = started + job.deadline + grace_;
  // Else the wait for the reply is the read's own (a socket's receive timeout); poll only
  // where the option cannot be set.
  const bool slept = replies_->holds_bytes() || !call_ahead() || sleep_until_call(until);
  const bool timed = slept && (replies_->holds_frame() || replies_->wait_until(until));
  const bool answered =
      slept && (timed || child_->readable_within(std::chrono::ceil<std::chrono::milliseconds>(
                             until - std::chrono::steady_clock::now())));
  std::optional<std::string> frame = answered ? replies_->next() : std::nullopt;
  if (!answered || replies_->timed_out()) {
    return died(started,
                fmt::format("the worker process did not answer within {} ms of the deadline "
                            "and was stopped ({})",
                            grace_.count(), end_child(ChildProcess::Ending::kStop)));
  }
  std::optional<WorkerReply> reply = frame ? decode_reply(*frame) : std::nullopt;
  if (!reply) {
    const bool garbled = frame.has_value();
    const std::string how =
        end_child(garbled ? ChildProcess::Ending::kStop : ChildProcess::Ending::kExiting);
    return died(started, garbled
                             ? fmt::format("the worker process sent a reply that does not parse "
                                           "and was stopped ({})",
                                           how)
                             : fmt::format("the worker process {} during the run", how));
  }
  pending_.pop_front();
  live_ = reply->figures;
  // Last words: the child is ending. The jobs handed after this one never started; the next
  // collect() gives them to a new child.
  if (reply->last) end_child(ChildProcess::Ending::kExiting);
  return std::move(reply->report);
}

PoolFigures ProcessWorker::figures() const {
  PoolFigures all = gone_;
  all += live_;
  return all;
}

}  // namespace krepis

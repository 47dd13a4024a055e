#include "core/batch/session_worker.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <utility>

namespace krepis {
namespace {

// Never blocks: a duplicate that does not fit is harmless (the child keeps the highest).
void send_interrupt(const ChildProcess& process, std::uint64_t entry) {
  static_cast<void>(
      ::send(process.control(), &entry, sizeof entry, MSG_DONTWAIT | MSG_NOSIGNAL));
}

}  // namespace

SessionWorker::SessionWorker(ChildMain child_main, bool keep_context, LockRule locks,
                             std::chrono::milliseconds grace)
    : child_main_(std::move(child_main)),
      keep_context_(keep_context),
      locks_(std::move(locks)),
      grace_(grace) {}

SessionWorker::Child* SessionWorker::child_for(const TenantSpec& tenant, std::string& why) {
  std::optional<std::string> lock;
  if (locks_ && locks_(tenant)) lock = tenant.id;
  const Slot slot = lock ? kLocked : kShared;
  std::optional<Child>& child = children_[slot];
  if (child && child->lock != lock) end_child(slot, ChildProcess::Ending::kStop);
  // An idle child has nothing to say: its socket readable or hung up means it ended (or said
  // last words after its reply).
  if (child && child->process.readable_within(std::chrono::milliseconds(0))) {
    found_ended_[slot] = end_child(slot, ChildProcess::Ending::kExiting);
  }
  if (!child) {
    const TenantSpec* locked_to = lock ? &tenant : nullptr;
    Result<ChildProcess> started = ChildProcess::start(
        [this, locked_to](int socket, int control) {
          return child_main_(socket, control, locked_to);
        });
    if (!started.ok()) {
      why = started.error().message;
      return nullptr;
    }
    child.emplace(Child{std::move(started).value(), lock, {}});
    ++gone_.worker_starts;
    SessionRequest keep;
    keep.kind = SessionRequest::Kind::kKeepContext;
    keep.keep_context = keep_context_;
    send(*child, keep);
  }
  current_ = slot;
  return &*child;
}

void SessionWorker::send(Child& child, const SessionRequest& request) {
  static_cast<void>(write_frame(child.process.socket(), encode_session_request(request)));
}

std::string SessionWorker::end_child(Slot slot, ChildProcess::Ending ending) {
  Child& child = *children_[slot];
  add_ended(gone_, child.live);
  std::string how = child.process.end(ending);
  children_[slot].reset();
  return how;
}

SessionWorker::Entry SessionWorker::run(const TenantSpec& tenant, const Job& job,
                                        bool live_output) {
  const auto started = std::chrono::steady_clock::now();
  Entry entry;
  SessionRequest request;
  request.job = job;
  request.heap_bytes = tenant.limits.heap_bytes;
  request.live_output = live_output;
  Child* child = nullptr;
  std::string why;
  Slot slot = kShared;
  {
    std::lock_guard lock(mutex_);
    request.entry = next_entry_++;
    child = child_for(tenant, why);
    slot = current_;
    if (child != nullptr) {
      running_ = request.entry;
      running_child_ = child;
      // An interrupt asked for before the entry began: it stops the entry as it begins.
      if (std::exchange(interrupt_pending_, false)) send_interrupt(child->process, running_);
    }
  }
  // The child is gone or must go; `what` says how the entry ended, with {} for how it did.
  auto lost = [&](ChildProcess::Ending ending, const std::string& what) {
    std::string how;
    {
      std::lock_guard lock(mutex_);
      running_child_ = nullptr;
      how = end_child(slot, ending);
    }
    entry.worker_lost = how;
    entry.report = crashed_in_child(job, tenant, started, fmt::format(fmt::runtime(what), how));
  };
  if (child == nullptr) {
    entry.report =
        crashed_in_child(job, tenant, started, "could not start a worker process: " + why);
  } else if (  // a child that died meanwhile shows when its reply is read
      write_frame(child->process.socket(), encode_session_request(request)),
      !child->process.readable_within(job.deadline + grace_)) {
    lost(ChildProcess::Ending::kStop,
         fmt::format("the worker process did not answer within {} ms of the deadline and was "
                     "stopped ({{}})",
                     grace_.count()));
  } else {
    std::optional<std::string> frame = read_frame(child->process.socket());
    std::optional<SessionReply> reply = frame ? decode_session_reply(*frame) : std::nullopt;
    if (!reply) {
      const bool garbled = frame.has_value();
      lost(garbled ? ChildProcess::Ending::kStop : ChildProcess::Ending::kExiting,
           garbled ? "the worker process sent a reply that does not parse and was stopped ({})"
                   : "the worker process {} during the entry");
    } else {
      child->live = reply->run.figures;
      entry.report = std::move(reply->run.report);
      entry.isolate_lost = reply->isolate_lost;
      if (found_ended_[slot]) {
        entry.worker_lost = "had ended before this entry (it " + *found_ended_[slot] + ")";
      }
      if (reply->run.last) {  // its last words: the report says why it could not go on
        std::lock_guard lock(mutex_);
        running_child_ = nullptr;
        end_child(slot, ChildProcess::Ending::kExiting);
        entry.worker_lost = "could not go on after this entry and ended";
      }
    }
  }
  found_ended_[slot].reset();
  std::lock_guard lock(mutex_);
  running_ = 0;
  running_child_ = nullptr;
  return entry;
}

void SessionWorker::interrupt() noexcept {
  std::lock_guard lock(mutex_);
  if (running_ != 0 && running_child_ != nullptr) {
    send_interrupt(running_child_->process, running_);
  } else {
    interrupt_pending_ = true;
  }
}

void SessionWorker::clear_interrupt() noexcept {
  std::lock_guard lock(mutex_);
  interrupt_pending_ = false;
}

void SessionWorker::keep_context(bool keep) {
  keep_context_ = keep;
  SessionRequest request;
  request.kind = SessionRequest::Kind::kKeepContext;
  request.keep_context = keep;
  for (std::optional<Child>& child : children_) {
    if (child) send(*child, request);
  }
}

void SessionWorker::reset_context() {
  SessionRequest request;
  request.kind = SessionRequest::Kind::kResetContext;
  if (children_[current_]) send(*children_[current_], request);
}

void SessionWorker::release() {
  SessionRequest request;
  request.kind = SessionRequest::Kind::kRelease;
  if (children_[current_]) send(*children_[current_], request);
}

std::vector<std::string> SessionWorker::completions(const TenantSpec& tenant,
                                                   const std::vector<std::string>& path,
                                                   const std::string& prefix) {
  SessionRequest request;
  request.kind = SessionRequest::Kind::kComplete;
  request.job = Job{tenant.id, "repl", "", std::nullopt, tenant.limits.deadline};
  request.heap_bytes = tenant.limits.heap_bytes;
  request.path = path;
  request.prefix = prefix;
  Child* child = nullptr;
  Slot slot = kShared;
  {
    std::lock_guard lock(mutex_);
    std::string why;
    child = child_for(tenant, why);
    slot = current_;
  }
  if (child == nullptr) return {};
  // With no context yet, the child makes one with an empty entry: it may take a deadline.
  std::optional<SessionReply> reply = ask(slot, request, tenant.limits.deadline + grace_, "Tab");
  return reply ? std::move(reply->completions) : std::vector<std::string>{};
}

std::optional<SessionReply> SessionWorker::ask(Slot slot, const SessionRequest& request,
                                               std::chrono::milliseconds wait,
                                               const char* asked_for) {
  Child& child = *children_[slot];
  send(child, request);
  std::optional<std::string> frame = child.process.readable_within(wait)
                                         ? read_frame(child.process.socket())
                                         : std::nullopt;
  std::optional<SessionReply> reply = frame ? decode_session_reply(*frame) : std::nullopt;
  if (reply && !reply->run.last) {
    child.live = reply->run.figures;
    return reply;
  }
  // The next entry says the child went, and with it the kept context.
  std::lock_guard lock(mutex_);
  found_ended_[slot] = end_child(slot, ChildProcess::Ending::kStop);
  if (!frame) {
    *found_ended_[slot] = fmt::format("did not answer {}, and {}", asked_for, *found_ended_[slot]);
  }
  return std::nullopt;
}

SessionWorker::Figures SessionWorker::figures() {
  Figures figures;
  for (Slot slot : {kShared, kLocked}) {
    if (!children_[slot]) continue;
    SessionRequest request;
    request.kind = SessionRequest::Kind::kFigures;
    std::optional<SessionReply> reply = ask(slot, request, grace_, ".stats");
    if (reply && slot == current_) figures.isolate = reply->isolate;
  }
  figures.pool = gone_;
  for (const std::optional<Child>& child : children_) {
    if (child) figures.pool += child->live;
  }
  return figures;
}

}  // namespace krepis

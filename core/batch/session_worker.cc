#include "core/batch/session_worker.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <utility>

namespace krepis {

SessionWorker::SessionWorker(ChildMain child_main, bool keep_context, LockRule locks,
                             std::chrono::milliseconds grace)
    : child_main_(std::move(child_main)),
      keep_context_(keep_context),
      locks_(std::move(locks)),
      grace_(grace) {}

ChildProcess* SessionWorker::child_for(const TenantSpec& tenant, std::string& why) {
  std::optional<std::string> lock;
  if (locks_ && locks_(tenant)) lock = tenant.id;
  if (child_ && child_lock_ != lock) end_child(ChildProcess::Ending::kExiting);
  if (!child_) {
    const TenantSpec* locked_to = lock ? &tenant : nullptr;
    Result<ChildProcess> started = ChildProcess::start(
        [this, locked_to](int socket, int control) {
          return child_main_(socket, control, locked_to);
        });
    if (!started.ok()) {
      why = started.error().message;
      return nullptr;
    }
    child_.emplace(std::move(started).value());
    child_lock_ = lock;
    SessionRequest keep;
    keep.kind = SessionRequest::Kind::kKeepContext;
    keep.keep_context = keep_context_;
    send(keep);
  }
  return &*child_;
}

void SessionWorker::send(const SessionRequest& request) {
  if (child_) static_cast<void>(write_frame(child_->socket(), encode_session_request(request)));
}

std::string SessionWorker::end_child(ChildProcess::Ending ending) {
  live_.alive = live_.idle = live_.waiting = 0;
  gone_ += live_;
  live_ = PoolFigures{};
  std::string how = child_->end(ending);
  child_.reset();
  child_lock_.reset();
  return how;
}

SessionWorker::Entry SessionWorker::run(const TenantSpec& tenant, const Job& job,
                                        bool live_output) {
  const auto started = std::chrono::steady_clock::now();
  Entry entry;
  // The child is gone or must go; `what` says how the entry ended, with {} for how it did.
  auto lost = [&](ChildProcess::Ending ending, const std::string& what) {
    std::string how;
    {
      std::lock_guard lock(mutex_);
      how = end_child(ending);
    }
    entry.worker_lost = how;
    entry.report =
        crashed_report(tenant.id, job.script_name, fmt::format(fmt::runtime(what), how));
    entry.report.heap_cap_bytes = tenant.limits.heap_bytes;
    entry.report.wall_ms = std::chrono::duration<double, std::milli>(
                               std::chrono::steady_clock::now() - started)
                               .count();
  };
  SessionRequest request;
  request.job = job;
  request.heap_bytes = tenant.limits.heap_bytes;
  request.live_output = live_output;
  ChildProcess* child = nullptr;
  std::string why;
  {
    std::lock_guard lock(mutex_);
    request.entry = entry_;
    child = child_for(tenant, why);
    // An interrupt that came before this entry had a child: the new child hears it now.
    if (child != nullptr && interrupted_ == entry_) {
      static_cast<void>(::send(child->control(), &entry_, sizeof entry_, MSG_NOSIGNAL));
    }
  }
  if (child == nullptr) {
    entry.report = crashed_report(tenant.id, job.script_name,
                                  "could not start a worker process: " + why);
  } else if (  // a child that died meanwhile shows when its reply is read
      write_frame(child->socket(), encode_session_request(request)),
      !child->readable_within(job.deadline + grace_)) {
    lost(ChildProcess::Ending::kStop,
         fmt::format("the worker process did not answer within {} ms of the deadline and was "
                     "stopped ({{}})",
                     grace_.count()));
  } else {
    std::optional<std::string> frame = read_frame(child->socket());
    std::optional<SessionReply> reply = frame ? decode_session_reply(*frame) : std::nullopt;
    if (!reply || !frame) {
      const bool garbled = frame.has_value();
      lost(garbled ? ChildProcess::Ending::kStop : ChildProcess::Ending::kExiting,
           garbled ? "the worker process sent a reply that does not parse and was stopped ({})"
                   : "the worker process {} during the entry");
    } else {
      live_ = reply->run.figures;
      entry.report = std::move(reply->run.report);
      entry.isolate_lost = reply->isolate_lost;
      if (found_ended_) entry.worker_lost = "had ended before this entry (" + *found_ended_ + ")";
      found_ended_.reset();
      if (reply->run.last) {  // its last words: the report says why it could not go on
        std::lock_guard lock(mutex_);
        end_child(ChildProcess::Ending::kExiting);
        entry.worker_lost = "could not go on after this entry and ended";
      }
    }
  }
  std::lock_guard lock(mutex_);
  ++entry_;
  return entry;
}

void SessionWorker::interrupt() noexcept {
  std::lock_guard lock(mutex_);
  interrupted_ = entry_;
  if (child_) static_cast<void>(::send(child_->control(), &entry_, sizeof entry_, MSG_NOSIGNAL));
}

void SessionWorker::keep_context(bool keep) {
  keep_context_ = keep;
  SessionRequest request;
  request.kind = SessionRequest::Kind::kKeepContext;
  request.keep_context = keep;
  send(request);
}

void SessionWorker::reset_context() {
  SessionRequest request;
  request.kind = SessionRequest::Kind::kResetContext;
  send(request);
}

void SessionWorker::release() {
  SessionRequest request;
  request.kind = SessionRequest::Kind::kRelease;
  send(request);
}

SessionWorker::Figures SessionWorker::figures() {
  Figures figures;
  if (child_) {
    SessionRequest request;
    request.kind = SessionRequest::Kind::kFigures;
    send(request);
    std::optional<std::string> frame =
        child_->readable_within(grace_) ? read_frame(child_->socket()) : std::nullopt;
    std::optional<SessionReply> reply = frame ? decode_session_reply(*frame) : std::nullopt;
    if (reply) {
      live_ = reply->run.figures;
      figures.isolate = reply->isolate;
    } else {
      std::lock_guard lock(mutex_);
      found_ended_ = end_child(ChildProcess::Ending::kStop);
    }
  }
  figures.pool = gone_;
  figures.pool += live_;
  return figures;
}

}  // namespace krepis

#include "core/batch/worker_wire.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>

#include "core/batch/wire_values.h"

namespace krepis {
namespace {

// read_frame's first read; each later one doubles what it holds.
constexpr std::size_t kFirstChunk = 64 * 1024;

// A frame: its payload's size in 8 bytes (the host's order: both ends are one binary), then
// the payload.
constexpr std::size_t kHeaderBytes = sizeof(std::uint64_t);

std::uint64_t frame_size(const char* header) {
  std::uint64_t size = 0;
  std::memcpy(&size, header, kHeaderBytes);
  return size;
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    // MSG_NOSIGNAL: a worker that died must not kill the parent with SIGPIPE.
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads `size` bytes; `may_read()` is asked before each read after the first and stops
// them when false.
template <class MayRead>
bool read_all(int fd, char* data, std::size_t size, MayRead& may_read) {
  for (bool first = true; size > 0; first = false) {
    if (!first && !may_read()) return false;
    ssize_t n = ::read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = 0;  // the end, not a wait that ran out
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads on until `payload` holds `size` bytes. Grown as the bytes arrive, not sized by the
// header: a peer that claims a large frame and sends little costs at most one chunk.
template <class MayRead>
bool read_rest(int fd, std::string& payload, std::uint64_t size, MayRead& may_read) {
  while (payload.size() < size) {
    const std::size_t done = payload.size();
    const std::size_t chunk = std::min<std::size_t>(size - done, std::max(done, kFirstChunk));
    payload.resize(done + chunk);
    if (done > 0 && !may_read()) return false;
    if (!read_all(fd, payload.data() + done, chunk, may_read)) return false;
  }
  return true;
}

bool always() { return true; }

}  // namespace

bool write_frame(int fd, std::string_view payload) {
  if (payload.size() > kMaxFrameBytes) return false;
  const std::uint64_t size = payload.size();
  char header[kHeaderBytes];
  std::memcpy(header, &size, kHeaderBytes);
  // Header and payload in one system call, so the peer wakes once for a frame (it woke for
  // the header, then for the payload: 0.6 more context switches per batch job).
  iovec parts[2] = {{header, sizeof header}, {const_cast<char*>(payload.data()), payload.size()}};
  msghdr message{};
  message.msg_iov = parts;
  message.msg_iovlen = 2;
  ssize_t sent = 0;
  do {
    sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);  // MSG_NOSIGNAL: as write_all
  } while (sent < 0 && errno == EINTR);
  if (sent <= 0) return false;
  // What a full socket left unsent goes the usual way.
  const auto done = static_cast<std::size_t>(sent);
  if (done < sizeof header) {
    return write_all(fd, header + done, sizeof header - done) &&
           write_all(fd, payload.data(), payload.size());
  }
  return write_all(fd, payload.data() + (done - sizeof header),
                   payload.size() - (done - sizeof header));
}

std::optional<std::string> read_frame(int fd) {
  char header[kHeaderBytes];
  auto may_read = always;
  if (!read_all(fd, header, sizeof header, may_read)) return std::nullopt;
  const std::uint64_t size = frame_size(header);
  if (size > kMaxFrameBytes) return std::nullopt;
  std::string payload;
  if (!read_rest(fd, payload, size, may_read)) return std::nullopt;
  return payload;
}

namespace {

// What a FrameReader asks of each read: a job or a trivial job's reply is a few hundred bytes.
constexpr std::size_t kReadAhead = 4096;

}  // namespace

bool FrameReader::holds_frame() const {
  return held_.size() >= kHeaderBytes && held_.size() - kHeaderBytes >= frame_size(held_.data());
}

bool FrameReader::wait_until(std::chrono::steady_clock::time_point until) {
  until_ = until;
  return wait_left();
}

bool FrameReader::wait_left() {
  if (until_ == std::chrono::steady_clock::time_point::max()) return true;  // no wait set
  const auto now = std::chrono::steady_clock::now();
  if (now >= until_) return false;
  // Rounded up: a limit set a moment ago for the same wait is not set again.
  return wait_.set(fd_, std::chrono::ceil<std::chrono::milliseconds>(until_ - now));
}

bool FrameReader::take_ready() {
  char chunk[kReadAhead];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
  if (n > 0) held_.append(chunk, static_cast<std::size_t>(n));
  return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
}

std::optional<std::string> FrameReader::next() {
  timed_out_ = false;
  // Each read after the first waits only what is left of the frame's wait.
  auto may_read = [this] {
    if (wait_left()) return true;
    timed_out_ = true;
    return false;
  };
  const auto stopped = [this] {
    if (errno == EAGAIN || errno == EWOULDBLOCK) timed_out_ = true;
    return std::nullopt;
  };
  for (bool first = true; held_.size() < kHeaderBytes; first = false) {
    if (!first && !may_read()) return std::nullopt;
    char chunk[kReadAhead];
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return std::nullopt;
    if (n < 0) return stopped();
    held_.append(chunk, static_cast<std::size_t>(n));
  }
  const std::uint64_t size = frame_size(held_.data());
  if (size > kMaxFrameBytes) return std::nullopt;
  if (held_.size() - kHeaderBytes >= size) {
    std::string payload = held_.substr(kHeaderBytes, size);
    held_.erase(0, kHeaderBytes + size);
    return payload;
  }
  // A frame larger than what came: the rest is read as read_frame reads it, and nothing past
  // its end.
  std::string payload = held_.substr(kHeaderBytes);
  held_.clear();
  if (!read_rest(fd_, payload, size, may_read)) return timed_out_ ? std::nullopt : stopped();
  return payload;
}

namespace {

using wire::MapReader;
using wire::MapWriter;
using wire::Object;
using wire::Packer;

// A job's fields, in the wire's order: visit(name, member) for each (`JobRef` is Job or
// const Job), so that the writer and the reader cannot disagree.
template <class JobRef, class Visit>
void visit_job_fields(JobRef& job, Visit&& visit) {
  visit("tenant", job.tenant);
  visit("script", job.script_name);
  visit("source", job.source);
  visit("input", job.input_json);
  visit("input_name", job.input_name);
  visit("deadline_ms", job.deadline);
  visit("inspect", job.inspect_result);
  visit("remember", job.remember_result);
  visit("script_file", job.script_file);
  visit("input_file", job.input_file);
  visit("module", job.module);
  visit("module_root", job.module_root);
  visit("module_root_name", job.module_root_name);
  visit("entry_path", job.entry_path);
}

// The entries of the report's and the figures' maps, from the schema's lists.
constexpr std::size_t kReportFieldCount = 0
#define KREPIS_COUNT(...) +1
    KREPIS_REPORT_FIELDS(KREPIS_COUNT);
constexpr std::size_t kPoolFigureCount = 0 KREPIS_POOL_FIGURES(KREPIS_COUNT);
#undef KREPIS_COUNT

// A batch job's frame adds `wake_parent` after the job's fields; a session request's job
// has none (wake_parent null).
void pack_job(Packer& out, const Job& job, const bool* wake_parent = nullptr) {
  std::size_t fields = wake_parent != nullptr ? 1 : 0;
  visit_job_fields(job, [&](std::string_view, const auto&) { ++fields; });
  MapWriter map(out, fields);
  visit_job_fields(job,
                   [&](std::string_view name, const auto& member) { map.field(name, member); });
  if (wake_parent != nullptr) map.field("wake_parent", *wake_parent);
}

bool read_job(const Object* frame, Job& job, bool* wake_parent = nullptr) {
  if (frame == nullptr) return false;
  MapReader map(*frame);
  visit_job_fields(job, [&](std::string_view name, auto& member) { map.field(name, member); });
  if (wake_parent != nullptr) map.field("wake_parent", *wake_parent);
  return map.complete();
}

// A reply's fields; a session reply adds its own after them.
constexpr std::size_t kReplyFields = 3;

void pack_reply_fields(MapWriter& map, const WorkerReply& reply) {
  MapWriter report(map.nested("report"), kReportFieldCount);
  visit_report_fields(reply.report, [&](const ReportField& field, const auto& value) {
    report.field(field.name, value);
  });
  MapWriter figures(map.nested("figures"), kPoolFigureCount);
  visit_pool_figures(reply.figures, [&](const ReportField& field, const auto& value) {
    figures.field(field.name, value);
  });
  map.field("last", reply.last);
}

bool read_reply_fields(MapReader& map, WorkerReply& reply) {
  const Object* report_map = map.nested("report");
  if (report_map == nullptr) return false;
  MapReader report(*report_map);
  visit_report_fields(reply.report, [&](const ReportField& field, auto& member) {
    report.field(field.name, member);
  });
  const Object* figures_map = map.nested("figures");
  if (!report.complete() || figures_map == nullptr) return false;
  MapReader figures(*figures_map);
  visit_pool_figures(reply.figures, [&](const ReportField& field, auto& member) {
    figures.field(field.name, member);
  });
  return figures.complete() && map.field("last", reply.last);
}

// Encodes a frame with `write_fields(packer)`; `reserve`: the bytes it will roughly take.
template <class Write>
std::string encode(std::size_t reserve, Write write_fields) {
  wire::FrameBytes frame;
  frame.bytes.reserve(reserve);
  Packer out(frame);
  write_fields(out);
  return std::move(frame.bytes);
}

// Decodes a frame with `read_fields(root, value)`, or nothing when it is not one.
template <class T, class Read>
std::optional<T> decode(std::string_view bytes, Read read_fields) {
  std::optional<msgpack::object_handle> tree = wire::unpack_frame(bytes);
  if (!tree) return std::nullopt;
  try {
    T value;
    if (!read_fields(tree->get(), value)) return std::nullopt;
    return value;
  } catch (const std::bad_alloc&) {
    return std::nullopt;  // a string or list the frame holds, too big to copy out
  }
}

// A job's fixed part (its names, paths and keys); what it carries comes on top.
constexpr std::size_t kFrameBase = 512;

std::size_t job_bytes(const Job& job) {
  return kFrameBase + job.source.size() + (job.input_json ? job.input_json->size() : 0);
}

std::size_t reply_bytes(const WorkerReply& reply) {
  std::size_t bytes = kFrameBase;
  for (const std::optional<std::string>* text :
       {&reply.report.result_json, &reply.report.result_text, &reply.report.stack,
        &reply.report.error}) {
    if (*text) bytes += (*text)->size();
  }
  for (const std::string& line : reply.report.output) bytes += line.size() + 5;
  return bytes;
}

}  // namespace

std::string encode_job(const Job& job, bool wake_parent) {
  return encode(job_bytes(job), [&](Packer& out) { pack_job(out, job, &wake_parent); });
}

std::optional<Job> decode_job(std::string_view bytes, bool* wake_parent) {
  bool wake = false;
  std::optional<Job> job =
      decode<Job>(bytes, [&](const Object& root, Job& out) { return read_job(&root, out, &wake); });
  if (job && wake_parent != nullptr) *wake_parent = wake;
  return job;
}

std::string encode_reply(const WorkerReply& reply) {
  return encode(reply_bytes(reply), [&](Packer& out) {
    MapWriter map(out, kReplyFields);
    pack_reply_fields(map, reply);
  });
}

std::optional<WorkerReply> decode_reply(std::string_view bytes) {
  return decode<WorkerReply>(bytes, [](const Object& root, WorkerReply& reply) {
    MapReader map(root);
    return read_reply_fields(map, reply) && map.complete();
  });
}

std::string encode_session_request(const SessionRequest& request) {
  return encode(job_bytes(request.job), [&](Packer& out) {
    MapWriter map(out, 8);
    map.field("kind", static_cast<std::uint64_t>(request.kind));
    map.field("entry", static_cast<std::uint64_t>(request.entry));
    map.field("heap_bytes", static_cast<std::uint64_t>(request.heap_bytes));
    map.field("live_output", request.live_output);
    map.field("keep_context", request.keep_context);
    pack_job(map.nested("job"), request.job);
    map.field("path", request.path);
    map.field("prefix", request.prefix);
  });
}

std::optional<SessionRequest> decode_session_request(std::string_view bytes) {
  return decode<SessionRequest>(bytes, [](const Object& root, SessionRequest& request) {
    MapReader map(root);
    std::uint64_t kind = 0;
    if (!map.field("kind", kind) || kind > static_cast<std::uint64_t>(SessionRequest::Kind::kComplete)) {
      return false;
    }
    request.kind = static_cast<SessionRequest::Kind>(kind);
    map.field("entry", request.entry);
    map.field("heap_bytes", request.heap_bytes);
    map.field("live_output", request.live_output);
    map.field("keep_context", request.keep_context);
    if (!read_job(map.nested("job"), request.job)) return false;
    map.field("path", request.path);
    map.field("prefix", request.prefix);
    return map.complete();
  });
}

std::string encode_session_reply(const SessionReply& reply) {
  return encode(reply_bytes(reply.run), [&](Packer& out) {
    MapWriter map(out, kReplyFields + 3);
    pack_reply_fields(map, reply.run);
    map.field("isolate_lost", reply.isolate_lost);
    map.field("completions", reply.completions);
    Packer& isolate = map.nested("isolate");
    if (!reply.isolate) {
      isolate.pack_nil();
      return;
    }
    const IsolateFigures& heap = *reply.isolate;
    isolate.pack_array(7);
    for (std::uint64_t figure : {heap.used_bytes, heap.total_bytes, heap.limit_bytes,
                                 heap.external_bytes, heap.contexts, heap.detached_contexts,
                                 heap.runs}) {
      wire::pack(isolate, figure);
    }
  });
}

std::optional<SessionReply> decode_session_reply(std::string_view bytes) {
  return decode<SessionReply>(bytes, [](const Object& root, SessionReply& reply) {
    MapReader map(root);
    if (!read_reply_fields(map, reply.run)) return false;
    map.field("isolate_lost", reply.isolate_lost);
    map.field("completions", reply.completions);
    const Object* isolate = map.nested("isolate");
    if (isolate == nullptr || !map.complete()) return false;
    if (isolate->type == msgpack::type::NIL) return true;
    if (isolate->type != msgpack::type::ARRAY || isolate->via.array.size != 7) return false;
    IsolateFigures& heap = reply.isolate.emplace();
    std::size_t* figures[] = {&heap.used_bytes,     &heap.total_bytes, &heap.limit_bytes,
                              &heap.external_bytes, &heap.contexts,    &heap.detached_contexts,
                              &heap.runs};
    for (std::size_t i = 0; i < 7; ++i) {
      if (!wire::read(isolate->via.array.ptr[i], *figures[i])) return false;
    }
    return true;
  });
}

}  // namespace krepis

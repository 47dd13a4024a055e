#include "core/batch/worker_wire.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

namespace krepis {
namespace {

using nlohmann::json;

// read_frame's first read; each later one doubles what it holds.
constexpr std::size_t kFirstChunk = 64 * 1024;

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

bool read_all(int fd, char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

json optional_text(const std::optional<std::string>& text) {
  return text ? json(*text) : json(nullptr);
}

std::optional<std::string> text_or_nothing(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  return std::nullopt;
}

// A field's value on the wire: as JSON would hold it, statuses and stop reasons by name,
// absent optionals as null.
json wire_value(RunStatus status) { return to_string(status); }
json wire_value(StopReason reason) { return to_string(reason); }
json wire_value(const std::optional<std::string>& text) { return optional_text(text); }
template <class T>
json wire_value(const T& value) {
  return value;
}

// Reads a field back: false for a name that is no status or stop reason; a wrong type throws
// json::exception, which the decoder catches.
bool read_wire(const json& value, RunStatus& status) {
  std::optional<RunStatus> parsed = parse_status(value.get<std::string>());
  if (parsed) status = *parsed;
  return parsed.has_value();
}
bool read_wire(const json& value, StopReason& reason) {
  std::optional<StopReason> parsed = parse_stop_reason(value.get<std::string>());
  if (parsed) reason = *parsed;
  return parsed.has_value();
}
bool read_wire(const json& value, std::optional<std::string>& text) {
  if (!value.is_null()) text = value.get<std::string>();
  return true;
}
template <class T>
bool read_wire(const json& value, T& member) {
  member = value.get<T>();
  return true;
}

template <class Struct, class Visit>
json encode_fields(const Struct& fields, Visit visit_fields) {
  json frame = json::object();
  visit_fields(fields, [&](const ReportField& field, const auto& value) {
    frame[std::string(field.name)] = wire_value(value);
  });
  return frame;
}

template <class Struct, class Visit>
bool decode_fields(const json& frame, Struct& fields, Visit visit_fields) {
  bool valid = true;
  visit_fields(fields, [&](const ReportField& field, auto& member) {
    valid = read_wire(frame.at(std::string(field.name)), member) && valid;
  });
  return valid;
}

constexpr auto kReportFields = [](auto& report, auto&& visit) {
  visit_report_fields(report, visit);
};
constexpr auto kPoolFigures = [](auto& figures, auto&& visit) {
  visit_pool_figures(figures, visit);
};

}  // namespace

bool write_frame(int fd, std::string_view payload) {
  if (payload.size() > kMaxFrameBytes) return false;
  const std::uint64_t size = payload.size();
  char header[sizeof size];
  std::memcpy(header, &size, sizeof size);
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
  std::uint64_t size = 0;
  char header[sizeof size];
  if (!read_all(fd, header, sizeof header)) return std::nullopt;
  std::memcpy(&size, header, sizeof size);
  if (size > kMaxFrameBytes) return std::nullopt;
  // Grown as the bytes arrive, not sized by the header: a peer that claims a large frame and
  // sends little costs at most one chunk.
  std::string payload;
  while (payload.size() < size) {
    const std::size_t done = payload.size();
    const std::size_t chunk = std::min<std::size_t>(size - done, std::max(done, kFirstChunk));
    payload.resize(done + chunk);
    if (!read_all(fd, payload.data() + done, chunk)) return std::nullopt;
  }
  return payload;
}

namespace {

std::string to_bytes(const json& frame) {
  std::vector<std::uint8_t> bytes = json::to_msgpack(frame);
  return std::string(bytes.begin(), bytes.end());
}

json job_map(const Job& job) {
  return {{"tenant", job.tenant},          {"script", job.script_name},
          {"source", job.source},          {"input", optional_text(job.input_json)},
          {"input_name", job.input_name},  {"deadline_ms", job.deadline.count()},
          {"inspect", job.inspect_result}, {"remember", job.remember_result},
          {"script_file", job.script_file}, {"input_file", job.input_file},
          {"module", job.module},          {"module_root", job.module_root},
          {"module_root_name", job.module_root_name}, {"entry_path", job.entry_path}};
}

// Throws json::exception on a missing field or a wrong type.
Job job_from(const json& frame) {
  Job job;
  job.tenant = frame.at("tenant").get<std::string>();
  job.script_name = frame.at("script").get<std::string>();
  job.source = frame.at("source").get<std::string>();
  job.input_json = text_or_nothing(frame.at("input"));
  job.input_name = frame.at("input_name").get<std::string>();
  job.deadline = std::chrono::milliseconds(frame.at("deadline_ms").get<std::int64_t>());
  job.inspect_result = frame.at("inspect").get<bool>();
  job.remember_result = frame.at("remember").get<bool>();
  job.script_file = frame.at("script_file").get<std::string>();
  job.input_file = frame.at("input_file").get<std::string>();
  job.module = frame.at("module").get<bool>();
  job.module_root = frame.at("module_root").get<std::string>();
  job.module_root_name = frame.at("module_root_name").get<std::string>();
  job.entry_path = frame.at("entry_path").get<std::string>();
  return job;
}

json reply_map(const WorkerReply& reply) {
  return {{"report", encode_fields(reply.report, kReportFields)},
          {"figures", encode_fields(reply.figures, kPoolFigures)},
          {"last", reply.last}};
}

// False for a report or figures that do not decode; throws json::exception like job_from.
bool reply_from(const json& frame, WorkerReply& reply) {
  if (!decode_fields(frame.at("report"), reply.report, kReportFields) ||
      !decode_fields(frame.at("figures"), reply.figures, kPoolFigures)) {
    return false;
  }
  reply.last = frame.at("last").get<bool>();
  return true;
}

}  // namespace

std::string encode_job(const Job& job) { return to_bytes(job_map(job)); }

std::optional<Job> decode_job(std::string_view bytes) {
  try {
    return job_from(json::from_msgpack(bytes));
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string encode_reply(const WorkerReply& reply) { return to_bytes(reply_map(reply)); }

std::optional<WorkerReply> decode_reply(std::string_view bytes) {
  try {
    WorkerReply reply;
    if (!reply_from(json::from_msgpack(bytes), reply)) return std::nullopt;
    return reply;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string encode_session_request(const SessionRequest& request) {
  json frame = {{"kind", static_cast<int>(request.kind)},
                {"entry", request.entry},
                {"heap_bytes", request.heap_bytes},
                {"live_output", request.live_output},
                {"keep_context", request.keep_context}};
  if (request.kind == SessionRequest::Kind::kRun || request.kind == SessionRequest::Kind::kComplete) {
    frame["job"] = job_map(request.job);
  }
  if (request.kind == SessionRequest::Kind::kComplete) {
    frame["path"] = request.path;
    frame["prefix"] = request.prefix;
  }
  return to_bytes(frame);
}

std::optional<SessionRequest> decode_session_request(std::string_view bytes) {
  try {
    json frame = json::from_msgpack(bytes);
    SessionRequest request;
    const int kind = frame.at("kind").get<int>();
    if (kind < 0 || kind > static_cast<int>(SessionRequest::Kind::kComplete)) return std::nullopt;
    request.kind = static_cast<SessionRequest::Kind>(kind);
    request.entry = frame.at("entry").get<std::uint64_t>();
    request.heap_bytes = frame.at("heap_bytes").get<std::size_t>();
    request.live_output = frame.at("live_output").get<bool>();
    request.keep_context = frame.at("keep_context").get<bool>();
    if (request.kind == SessionRequest::Kind::kRun || request.kind == SessionRequest::Kind::kComplete) {
      request.job = job_from(frame.at("job"));
    }
    if (request.kind == SessionRequest::Kind::kComplete) {
      request.path = frame.at("path").get<std::vector<std::string>>();
      request.prefix = frame.at("prefix").get<std::string>();
    }
    return request;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string encode_session_reply(const SessionReply& reply) {
  json frame = reply_map(reply.run);
  frame["isolate_lost"] = reply.isolate_lost;
  if (!reply.completions.empty()) frame["completions"] = reply.completions;
  if (reply.isolate) {
    const IsolateFigures& heap = *reply.isolate;
    frame["isolate"] = {heap.used_bytes,     heap.total_bytes, heap.limit_bytes,
                        heap.external_bytes, heap.contexts,    heap.detached_contexts,
                        heap.runs};
  }
  return to_bytes(frame);
}

std::optional<SessionReply> decode_session_reply(std::string_view bytes) {
  try {
    json frame = json::from_msgpack(bytes);
    SessionReply reply;
    if (!reply_from(frame, reply.run)) return std::nullopt;
    reply.isolate_lost = frame.at("isolate_lost").get<bool>();
    if (frame.contains("completions")) {
      reply.completions = frame.at("completions").get<std::vector<std::string>>();
    }
    if (frame.contains("isolate")) {
      const json& heap = frame.at("isolate");
      reply.isolate = IsolateFigures{heap.at(0).get<std::size_t>(), heap.at(1).get<std::size_t>(),
                                     heap.at(2).get<std::size_t>(), heap.at(3).get<std::size_t>(),
                                     heap.at(4).get<std::size_t>(), heap.at(5).get<std::size_t>(),
                                     heap.at(6).get<std::size_t>()};
    }
    return reply;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace krepis

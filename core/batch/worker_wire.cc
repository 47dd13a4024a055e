#include "core/batch/worker_wire.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

namespace krepis {
namespace {

using nlohmann::json;

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

json figures_json(const PoolFigures& f) {
  return json::array({f.hits, f.cold_starts, f.evictions, f.idle_disposals, f.retirements,
                      f.replacements, f.alive, f.idle, f.waiting, f.settled});
}

PoolFigures figures_from(const json& a) {
  auto at = [&a](std::size_t i) { return a.at(i).get<std::size_t>(); };
  return PoolFigures{at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7), at(8), at(9)};
}

}  // namespace

bool write_frame(int fd, std::string_view payload) {
  if (payload.size() > kMaxFrameBytes) return false;
  const std::uint64_t size = payload.size();
  char header[sizeof size];
  std::memcpy(header, &size, sizeof size);
  return write_all(fd, header, sizeof header) && write_all(fd, payload.data(), payload.size());
}

std::optional<std::string> read_frame(int fd) {
  std::uint64_t size = 0;
  char header[sizeof size];
  if (!read_all(fd, header, sizeof header)) return std::nullopt;
  std::memcpy(&size, header, sizeof size);
  if (size > kMaxFrameBytes) return std::nullopt;
  std::string payload(size, '\0');
  if (!read_all(fd, payload.data(), payload.size())) return std::nullopt;
  return payload;
}

std::string encode_job(const Job& job) {
  json frame = {{"tenant", job.tenant},         {"script", job.script_name},
                {"source", job.source},         {"input", optional_text(job.input_json)},
                {"input_name", job.input_name}, {"deadline_ms", job.deadline.count()},
                {"inspect", job.inspect_result}};
  std::vector<std::uint8_t> bytes = json::to_msgpack(frame);
  return std::string(bytes.begin(), bytes.end());
}

std::optional<Job> decode_job(std::string_view bytes) {
  try {
    json frame = json::from_msgpack(bytes);
    Job job;
    job.tenant = frame.at("tenant").get<std::string>();
    job.script_name = frame.at("script").get<std::string>();
    job.source = frame.at("source").get<std::string>();
    job.input_json = text_or_nothing(frame.at("input"));
    job.input_name = frame.at("input_name").get<std::string>();
    job.deadline = std::chrono::milliseconds(frame.at("deadline_ms").get<std::int64_t>());
    job.inspect_result = frame.at("inspect").get<bool>();
    return job;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string encode_reply(const WorkerReply& reply) {
  const RunReport& r = reply.report;
  json frame = {{"tenant", r.tenant},
                {"script", r.script},
                {"status", static_cast<int>(r.status)},
                {"stopped_by", static_cast<int>(r.stopped_by)},
                {"wall_ms", r.wall_ms},
                {"cpu_ms", r.cpu_ms},
                {"heap", json::array({r.heap_used_bytes, r.heap_peak_bytes, r.heap_cap_bytes,
                                      r.external_bytes})},
                {"warm", r.warm},
                {"result_json", optional_text(r.result_json)},
                {"result_text", optional_text(r.result_text)},
                {"error", optional_text(r.error)},
                {"output", r.output},
                {"figures", figures_json(reply.figures)},
                {"last", reply.last}};
  std::vector<std::uint8_t> bytes = json::to_msgpack(frame);
  return std::string(bytes.begin(), bytes.end());
}

std::optional<WorkerReply> decode_reply(std::string_view bytes) {
  try {
    json frame = json::from_msgpack(bytes);
    WorkerReply reply;
    RunReport& r = reply.report;
    r.tenant = frame.at("tenant").get<std::string>();
    r.script = frame.at("script").get<std::string>();
    const int status = frame.at("status").get<int>();
    const int stopped_by = frame.at("stopped_by").get<int>();
    if (status < 0 || status > static_cast<int>(RunStatus::kCrashed) || stopped_by < 0 ||
        stopped_by > static_cast<int>(StopReason::kInterrupted)) {
      return std::nullopt;
    }
    r.status = static_cast<RunStatus>(status);
    r.stopped_by = static_cast<StopReason>(stopped_by);
    r.wall_ms = frame.at("wall_ms").get<double>();
    r.cpu_ms = frame.at("cpu_ms").get<double>();
    const json& heap = frame.at("heap");
    r.heap_used_bytes = heap.at(0).get<std::size_t>();
    r.heap_peak_bytes = heap.at(1).get<std::size_t>();
    r.heap_cap_bytes = heap.at(2).get<std::size_t>();
    r.external_bytes = heap.at(3).get<std::size_t>();
    r.warm = frame.at("warm").get<bool>();
    r.result_json = text_or_nothing(frame.at("result_json"));
    r.result_text = text_or_nothing(frame.at("result_text"));
    r.error = text_or_nothing(frame.at("error"));
    r.output = frame.at("output").get<std::vector<std::string>>();
    reply.figures = figures_from(frame.at("figures"));
    reply.last = frame.at("last").get<bool>();
    return reply;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace krepis

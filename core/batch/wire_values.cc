#include "core/batch/wire_values.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>

#include "core/batch/worker_wire.h"

namespace krepis::wire {

using msgpack::type::object_type;

void pack(Packer& out, std::string_view text) {
  // A text too long for MessagePack's 32-bit length could never cross anyway: it is cut just
  // past the frame limit, so that write_frame refuses the frame rather than a wrapped length
  // send something else.
  const auto size = static_cast<std::uint32_t>(std::min(text.size(), kMaxFrameBytes + 1));
  out.pack_str(size);
  out.pack_str_body(text.data(), size);
}
void pack(Packer& out, bool flag) { flag ? out.pack_true() : out.pack_false(); }
void pack(Packer& out, std::uint64_t count) { out.pack_uint64(count); }
void pack(Packer& out, std::int64_t number) { out.pack_int64(number); }
// msgpack writes a whole double as an integer; read(double) takes both.
void pack(Packer& out, double number) { out.pack_double(number); }
void pack(Packer& out, std::chrono::milliseconds duration) {
  pack(out, static_cast<std::int64_t>(duration.count()));
}
void pack(Packer& out, RunStatus status) { pack(out, to_string(status)); }
void pack(Packer& out, StopReason reason) { pack(out, to_string(reason)); }
void pack(Packer& out, const std::optional<std::string>& text) {
  text ? pack(out, *text) : (void)out.pack_nil();
}
void pack(Packer& out, const std::vector<std::string>& texts) {
  out.pack_array(static_cast<std::uint32_t>(texts.size()));
  for (const std::string& text : texts) pack(out, text);
}

namespace {

std::string_view text_of(const Object& value) {
  return std::string_view(value.via.str.ptr, value.via.str.size);
}

}  // namespace

bool read(const Object& value, std::string& text) {
  if (value.type != object_type::STR) return false;
  text.assign(text_of(value));
  return true;
}
bool read(const Object& value, bool& flag) {
  if (value.type != object_type::BOOLEAN) return false;
  flag = value.via.boolean;
  return true;
}
bool read(const Object& value, std::uint64_t& count) {
  if (value.type != object_type::POSITIVE_INTEGER) return false;
  count = value.via.u64;
  return true;
}
bool read(const Object& value, std::int64_t& number) {
  if (value.type == object_type::NEGATIVE_INTEGER) {
    number = value.via.i64;
    return true;
  }
  if (value.type != object_type::POSITIVE_INTEGER ||
      value.via.u64 > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return false;
  }
  number = static_cast<std::int64_t>(value.via.u64);
  return true;
}
bool read(const Object& value, double& number) {
  switch (value.type) {
    case object_type::FLOAT32:
    case object_type::FLOAT64:
      number = value.via.f64;
      break;
    case object_type::POSITIVE_INTEGER:
      number = static_cast<double>(value.via.u64);
      break;
    case object_type::NEGATIVE_INTEGER:
      number = static_cast<double>(value.via.i64);
      break;
    default:
      return false;
  }
  // The wire's numbers are times in ms: finite, and far inside what msgpack's pack_double
  // can write back (it converts a whole double to an integer, undefined at 2^64).
  constexpr double kLimit = 9.2e18;  // below 2^63
  return std::isfinite(number) && number > -kLimit && number < kLimit;
}
bool read(const Object& value, std::chrono::milliseconds& duration) {
  std::int64_t count = 0;
  if (!read(value, count)) return false;
  duration = std::chrono::milliseconds(count);
  return true;
}
bool read(const Object& value, RunStatus& status) {
  if (value.type != object_type::STR) return false;
  std::optional<RunStatus> parsed = parse_status(text_of(value));
  if (parsed) status = *parsed;
  return parsed.has_value();
}
bool read(const Object& value, StopReason& reason) {
  if (value.type != object_type::STR) return false;
  std::optional<StopReason> parsed = parse_stop_reason(text_of(value));
  if (parsed) reason = *parsed;
  return parsed.has_value();
}
bool read(const Object& value, std::optional<std::string>& text) {
  if (value.type == object_type::NIL) {
    text.reset();
    return true;
  }
  return read(value, text.emplace());
}
bool read(const Object& value, std::vector<std::string>& texts) {
  if (value.type != object_type::ARRAY) return false;
  texts.resize(value.via.array.size);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (!read(value.via.array.ptr[i], texts[i])) return false;
  }
  return true;
}

MapWriter::MapWriter(Packer& out, std::size_t fields) : out_(out) {
  out_.pack_map(static_cast<std::uint32_t>(fields));
}

Packer& MapWriter::nested(std::string_view name) {
  pack(out_, name);
  return out_;
}

MapReader::MapReader(const Object& map) : map_(map), valid_(map.type == object_type::MAP) {}

const Object* MapReader::next(std::string_view name) {
  if (!valid_ || next_ == map_.via.map.size) {
    valid_ = false;
    return nullptr;
  }
  const msgpack::object_kv& pair = map_.via.map.ptr[next_++];
  if (pair.key.type != object_type::STR || text_of(pair.key) != name) {
    valid_ = false;
    return nullptr;
  }
  return &pair.val;
}

bool MapReader::complete() const { return valid_ && next_ == map_.via.map.size; }

namespace {

// Strings, binaries and extensions point into the frame instead of being copied: the tree
// lives only while its frame does (the decoders copy what they keep).
bool refer_to_frame(object_type, std::size_t, void*) { return true; }

}  // namespace

std::optional<msgpack::object_handle> unpack_frame(std::string_view bytes) {
  constexpr std::size_t kMaxMapEntries = 64;
  constexpr std::size_t kMaxDepth = 3;  // reply, report, output lines
  const msgpack::unpack_limit limits(/*array=*/bytes.size(), kMaxMapEntries,
                                     /*str=*/bytes.size(), /*bin=*/bytes.size(), /*ext=*/0,
                                     kMaxDepth);
  try {
    std::size_t used = 0;
    msgpack::object_handle tree =
        msgpack::unpack(bytes.data(), bytes.size(), used, refer_to_frame, nullptr, limits);
    if (used != bytes.size()) return std::nullopt;  // trailing bytes
    return tree;
  } catch (const msgpack::unpack_error&) {
    return std::nullopt;
  } catch (const std::bad_alloc&) {
    // msgpack reserves an array's entries when it reads the header (24 bytes each), before
    // they arrive: a lying header in a big frame can ask more than the system gives.
    return std::nullopt;
  }
}

}  // namespace krepis::wire

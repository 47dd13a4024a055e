// The values the worker wire carries, written with msgpack-cxx's packer straight from the
// structs and read back from its decoded tree, field by field, with every type checked: no
// intermediate document is built on either side (nlohmann's tree cost the parent and each
// worker ~65 µs a batch job). Only worker_wire.cc uses this.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

#include "core/base/run_report.h"

namespace krepis::wire {

// A frame's bytes, which msgpack's packer appends to.
struct FrameBytes {
  std::string bytes;
  void write(const char* data, std::size_t size) { bytes.append(data, size); }
};
using Packer = msgpack::packer<FrameBytes>;
using Object = msgpack::object;

void pack(Packer& out, std::string_view text);
inline void pack(Packer& out, const std::string& text) { pack(out, std::string_view(text)); }
inline void pack(Packer& out, const char* text) { pack(out, std::string_view(text)); }
void pack(Packer& out, bool flag);
void pack(Packer& out, std::uint64_t count);
void pack(Packer& out, std::int64_t number);
void pack(Packer& out, double number);
void pack(Packer& out, std::chrono::milliseconds duration);
void pack(Packer& out, RunStatus status);
void pack(Packer& out, StopReason reason);
void pack(Packer& out, const std::optional<std::string>& text);
void pack(Packer& out, const std::vector<std::string>& texts);

// Each false when the value is not of the member's type (or names no status or reason).
bool read(const Object& value, std::string& text);
bool read(const Object& value, bool& flag);
bool read(const Object& value, std::uint64_t& count);
bool read(const Object& value, std::int64_t& number);
bool read(const Object& value, double& number);  // a float, or a whole number
bool read(const Object& value, std::chrono::milliseconds& duration);
bool read(const Object& value, RunStatus& status);
bool read(const Object& value, StopReason& reason);
bool read(const Object& value, std::optional<std::string>& text);  // nil: none
bool read(const Object& value, std::vector<std::string>& texts);

// A map whose keys are its fields' names, in the order they are written.
class MapWriter {
 public:
  MapWriter(Packer& out, std::size_t fields);
  template <class T>
  void field(std::string_view name, const T& value) {
    pack(out_, name);
    pack(out_, value);
  }
  // A field whose value the caller writes next (a map or array of its own).
  Packer& nested(std::string_view name);

 private:
  Packer& out_;
};

// Reads a MapWriter's map: each field must be the next key, by name, with a value of its
// type. The first miss fails that read and every later one; complete() also asks that no
// key is left over.
class MapReader {
 public:
  explicit MapReader(const Object& map);
  template <class T>
  bool field(std::string_view name, T& member) {
    const Object* value = next(name);
    if (value && !read(*value, member)) valid_ = false;
    return valid_;
  }
  // The next field's value, unread (a map or array of its own), or null.
  const Object* nested(std::string_view name) { return next(name); }
  bool complete() const;

 private:
  const Object* next(std::string_view name);

  const Object& map_;
  std::uint32_t next_ = 0;
  bool valid_;
};

// Decodes one frame's payload into a tree whose strings point into `bytes`, or nothing for
// bytes that are not exactly one MessagePack value within the wire's bounds: maps of at most
// 64 entries, nesting at most 3 deep, no extension types, and no array longer than the frame
// has bytes. msgpack reserves an array's entries (24 bytes each) when it reads its header, so
// a lying frame can reserve up to 24 bytes per byte at each of the 3 levels (address space,
// untouched), and a frame of real entries touches up to 24 bytes per byte (nlohmann's tree
// took ~48); a reservation the system refuses is a frame that does not decode.
std::optional<msgpack::object_handle> unpack_frame(std::string_view bytes);

}  // namespace krepis::wire

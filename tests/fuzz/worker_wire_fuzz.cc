// The worker wire (core/batch/worker_wire) on any bytes, as a broken or hostile peer would
// send them: frames read from a file descriptor, then each decoded as a job, a reply, a
// session request and a session reply. Must hold: no crash, no exception out, no allocation
// past the frame limit (libFuzzer's -malloc_limit_mb, set by scripts/fuzz, aborts on one);
// what decodes re-encodes to bytes that decode to the same encoding (nothing is half-read).
#include <sys/mman.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/batch/worker_wire.h"
#include "fuzz/fuzz_check.h"

using krepis::fuzz::check;

namespace {

template <class Decode, class Encode>
void round_trip(std::string_view frame, Decode decode, Encode encode) {
  auto decoded = decode(frame);
  if (!decoded) return;
  const std::string once = encode(*decoded);
  auto again = decode(once);
  check(again.has_value(), "an encoding decodes");
  check(encode(*again) == once, "decode(encode(x)) encodes as x does");
}

// A batch job's frame, with whether it asks for a wake-up call.
struct JobFrame {
  krepis::Job job;
  bool wake_parent = false;
};

void decode_every_way(std::string_view frame) {
  round_trip(
      frame,
      [](std::string_view bytes) -> std::optional<JobFrame> {
        JobFrame decoded;
        std::optional<krepis::Job> job = krepis::decode_job(bytes, &decoded.wake_parent);
        if (!job) return std::nullopt;
        decoded.job = std::move(*job);
        return decoded;
      },
      [](const JobFrame& decoded) { return krepis::encode_job(decoded.job, decoded.wake_parent); });
  round_trip(frame, krepis::decode_reply, krepis::encode_reply);
  round_trip(frame, krepis::decode_session_request, krepis::encode_session_request);
  round_trip(frame, krepis::decode_session_reply, krepis::encode_session_reply);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The bytes as one frame's payload.
  decode_every_way(std::string_view(reinterpret_cast<const char*>(data), size));
  // The bytes as a stream: length-prefixed frames, possibly lying about their length.
  static const int stream = memfd_create("fuzz-wire", MFD_CLOEXEC);
  check(stream >= 0, "memfd_create works");
  check(ftruncate(stream, 0) == 0 && lseek(stream, 0, SEEK_SET) == 0, "the stream resets");
  check(write(stream, data, size) == static_cast<ssize_t>(size), "the stream takes the bytes");
  check(lseek(stream, 0, SEEK_SET) == 0, "the stream rewinds");
  std::size_t frames_bytes = 0;
  std::vector<std::string> frames;
  while (std::optional<std::string> frame = krepis::read_frame(stream)) {
    frames_bytes += 8 + frame->size();
    check(frames_bytes <= size, "a frame holds only bytes that were sent");
    decode_every_way(*frame);
    frames.push_back(std::move(*frame));
  }
  // A FrameReader reads the same frames from the same bytes, and then nothing.
  check(lseek(stream, 0, SEEK_SET) == 0, "the stream rewinds");
  krepis::FrameReader reader(stream);
  for (const std::string& frame : frames) check(reader.next() == frame, "the readers agree");
  check(!reader.next(), "the readers end together");
  return 0;
}

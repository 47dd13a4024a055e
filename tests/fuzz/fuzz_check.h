// What the fuzz targets assert: a property that fails is a finding, so it aborts with a
// message (libFuzzer then saves the input as crash-*), like a memory error would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace krepis::fuzz {

inline void check(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz: property broken: %s\n", what);
  std::abort();
}

// Reads the fuzzer's bytes as a stream of choices: each call takes what it needs from the
// front, and a stream that ran out gives zeros (so every input means something).
class Choices {
 public:
  Choices(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return size_ == 0; }
  std::uint8_t byte() {
    if (size_ == 0) return 0;
    --size_;
    return *data_++;
  }
  // A number below `bound` (bound > 0).
  std::size_t below(std::size_t bound) { return byte() % bound; }
  // Up to max_size bytes, the length taken first.
  std::string_view bytes(std::size_t max_size) {
    std::size_t size = below(max_size + 1);
    if (size > size_) size = size_;
    std::string_view taken(reinterpret_cast<const char*>(data_), size);
    data_ += size;
    size_ -= size;
    return taken;
  }
  // What is left.
  std::string_view rest() { return bytes_left(); }

 private:
  std::string_view bytes_left() {
    std::string_view taken(reinterpret_cast<const char*>(data_), size_);
    data_ += size_;
    size_ = 0;
    return taken;
  }
  const std::uint8_t* data_;
  std::size_t size_;
};

}  // namespace krepis::fuzz

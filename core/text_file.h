// Reading the text files a user names (scripts, inputs): every failure is a message that
// names the file and what is wrong with it, never an exception.
#pragma once

#include <cstddef>
#include <string>

namespace krepis {

struct TextFile {
  std::string text;   // without a leading UTF-8 byte order mark
  std::string error;  // "path: what is wrong"; empty on success
  bool ok() const { return error.empty(); }
};

// Files past this size are refused before reading: a script or input of that size is a
// mistake, and reading it would cost the runner the memory it caps for tenants.
inline constexpr std::size_t kMaxTextFileBytes = 64 * 1024 * 1024;

// Reads a regular file of well-formed UTF-8.
TextFile read_text_file(const std::string& path);

// Reads a file that must hold one JSON value (an --input, a batch job's input); the error
// for malformed JSON is "path: not valid JSON: ..." with the line and column.
TextFile read_json_file(const std::string& path);

}  // namespace krepis

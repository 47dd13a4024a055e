// Reading the text files a user names (scripts, inputs): every failure is a message that
// names the file and what is wrong with it, never an exception.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "core/base/result.h"

namespace krepis {

// Files past this size are refused before reading: a script or input of that size is a
// mistake, and reading it would cost the runner the memory it caps for tenants.
inline constexpr std::size_t kMaxTextFileBytes = 64 * 1024 * 1024;

// Reads a regular file of well-formed UTF-8, without a leading byte order mark; the error is
// "path: what is wrong".
// Files over `max_bytes` are refused before they are read.
Result<std::string> read_text_file(const std::string& path,
                                   std::size_t max_bytes = kMaxTextFileBytes);

// Reads a file that must hold one JSON value (an --input); the error for malformed JSON is
// json_syntax_error's (core/base/json_syntax.h).
Result<std::string> read_json_file(const std::string& path);

}  // namespace krepis

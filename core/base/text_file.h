// Reading the text files a user names (scripts, inputs): every failure is a message that
// names the file and what is wrong with it, never an exception.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace krepis {

// Files past this size are refused before reading: a script or input of that size is a
// mistake, and reading it would cost the runner the memory it caps for tenants.
inline constexpr std::size_t kMaxTextFileBytes = 64 * 1024 * 1024;

// The path that names stdin.
inline constexpr std::string_view kStdinPath = "-";

// Whether a path may name a pipe. Only what the user names on the command line may: a pipe
// in a batch's folder, which a tenant may have put there, could hold a worker forever.
enum class Pipes { kRefused, kRead };
// Whether the file itself may be a symlink. A tenant's may not: a symlink in its folder
// could make the runner read any file of the host as a job or its input. Refused by the
// open itself (O_NOFOLLOW), not by a look first: no lstat, and no window between the two.
enum class Links { kFollowed, kRefused };

// Reads a regular file of well-formed UTF-8, without a leading byte order mark; the error is
// "path: what is wrong". Files over `max_bytes` are refused before they are read. With
// Pipes::kRead, `-` is stdin (whatever it is: a pipe, a terminal, a file), and a named pipe
// or socket (/dev/stdin, a shell's <(...)) is read to its end, as cat would, refused once
// past `max_bytes`; other special files (devices) are always refused.
Result<std::string> read_text_file(const std::string& path,
                                   std::size_t max_bytes = kMaxTextFileBytes,
                                   Pipes pipes = Pipes::kRefused, Links links = Links::kFollowed);

// The same for a tenant's file opened by `name` in `folder` (an open descriptor of its
// folder), never a pipe; `path` names it in errors. `not_found`, if given, says whether the
// folder has no file of that name.
Result<std::string> read_text_file_at(int folder, const std::string& name,
                                      const std::string& path, std::size_t max_bytes, Links links,
                                      bool* not_found = nullptr);

// Reads a file that must hold one JSON value (an --input); the error for malformed JSON is
// json_syntax_error's (core/base/json_syntax.h).
Result<std::string> read_json_file(const std::string& path, Pipes pipes = Pipes::kRefused);

}  // namespace krepis

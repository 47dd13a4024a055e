// UTF-8 validation: scripts and inputs must be text V8 reads as their author wrote it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace krepis {

// The offset of the first byte that is not part of well-formed UTF-8 (no overlong forms, no
// surrogates, nothing past U+10FFFF), or nothing when all of it is well formed.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

// The text with every byte that is not well-formed UTF-8 written as \xHH and every backslash
// as \\, so names that differ only in such bytes stay apart once printed as UTF-8.
std::string escape_invalid_utf8(std::string_view text);

// The text with control characters written as \n, \r, \t or \xHH (C0, DEL) or \uHHHH (C1,
// U+2028, U+2029): what a
// name may hold, printed for a person on one line that cannot move the cursor or start a
// line of its own (a job named "a\nok  forged.js" would otherwise print a second report).
std::string one_line(std::string_view text);
// The same, but newlines and tabs kept: text of several lines (a script's output, an error
// message) that can still not move the cursor, recolour or retitle a terminal.
std::string visible_lines(std::string_view text);

// Where the UTF-8 character that byte `at` belongs to starts: `at` backed off past
// continuation bytes (and `at` itself at or past the end), so a cut there keeps whole
// characters.
std::size_t character_start(std::string_view text, std::size_t at);

// `text` when it holds at most `bytes`; else its first `bytes` (whole characters) and "…".
std::string shortened(std::string_view text, std::size_t bytes);

// 1-based line and column (in bytes) of an offset, for error messages.
struct TextPosition {
  std::size_t line;
  std::size_t column;
};
TextPosition position_of(std::string_view text, std::size_t offset);

}  // namespace krepis

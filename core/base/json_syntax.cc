#include "core/base/json_syntax.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>

#include "core/base/utf8.h"

namespace krepis {
namespace {

using nlohmann::json;

// nlohmann's SAX interface, keeping nothing but the first error: no document is built, so
// the check costs no memory and no recursion however deep the nesting.
struct FirstError : nlohmann::json_sax<json> {
  std::optional<std::string> message;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& error) override {
    message = error.what();  // carries "line L, column C"
    return false;
  }
};

// `text` in krepis's words: the second of the pair whose first it is, else `otherwise`
// (by default `text` itself).
std::string_view in_words(
    std::string_view text,
    std::initializer_list<std::pair<std::string_view, std::string_view>> words,
    std::optional<std::string_view> otherwise = std::nullopt) {
  for (const auto& [theirs, ours] : words) {
    if (text == theirs) return ours;
  }
  return otherwise.value_or(text);
}

// nlohmann's message in krepis's words: "[json.exception.parse_error.101] parse error at
// line 2, column 3: syntax error while parsing object key - invalid literal; last read:
// '...'; expected string literal" becomes "at line 2, column 3: not a JSON value, in an
// object key (expected a string)". Anything it does not recognise passes through whole.
// Plain searches, no std::regex: the "last read" part holds the input's own bytes, as many
// as a broken string has, and libstdc++'s regex recurses once per character.
std::string in_our_words(const std::string& what) {
  std::string_view rest = what;
  constexpr std::string_view kAt = "parse error at ";
  const std::size_t at = rest.find(kAt);
  if (at == std::string_view::npos) return what;
  rest.remove_prefix(at + kAt.size());
  const std::size_t colon = rest.find(": ");
  if (colon == std::string_view::npos || !rest.starts_with("line ")) return what;
  const std::string_view position = rest.substr(0, colon);
  rest.remove_prefix(colon + 2);
  std::string_view context;
  constexpr std::string_view kWhile = "syntax error while parsing ";
  if (rest.starts_with(kWhile)) {
    rest.remove_prefix(kWhile.size());
    const std::size_t dash = rest.find(" - ");
    if (dash == std::string_view::npos) return what;
    context = rest.substr(0, dash);
    rest.remove_prefix(dash + 3);
  }
  const std::size_t end_of_reason = std::min(rest.find("; "), rest.size());
  const std::string_view reason = rest.substr(0, end_of_reason);
  // "; expected ..." ends the message, after the "last read" part with the input's bytes.
  constexpr std::string_view kExpected = "; expected ";
  const std::size_t expected_at = rest.rfind(kExpected);
  const std::string_view expected =
      expected_at == std::string_view::npos || expected_at < end_of_reason
          ? std::string_view()
          : rest.substr(expected_at + kExpected.size());
  const std::string_view reason_words =
      in_words(reason, {{"unexpected end of input", "the text ends too soon"},
                        {"invalid literal", "not a JSON value"},
                        {"unexpected number literal", "an unexpected number"},
                        {"unexpected string literal", "an unexpected string"}});
  const std::string_view where = in_words(context,
                                          {{"object key", ", in an object key"},
                                           {"object separator", ", after an object key"},
                                           {"object", ", in an object"},
                                           {"array", ", in an array"}},
                                          "");
  const std::string_view expected_words = in_words(expected, {{"'[', '{', or a literal", "a value"},
                                                              {"string literal", "a string"},
                                                              {"end of input", "nothing more"}});
  return fmt::format("at {}: {}{}{}", position, reason_words, where,
                     expected_words.empty() ? "" : fmt::format(" (expected {})", expected_words));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The JSON number a lexer reads at the start of `text`:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. `length` is 0 when there is none; `broken`
// when the lexer reads on past it, into a minus sign, a '.' or an exponent without digits: a
// mistake inside the token, which the lexer reports before it converts (and could overflow)
// anything.
struct NumberToken {
  std::size_t length = 0;
  bool broken = false;
};

NumberToken number_token(std::string_view text) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t start = i;
    while (i < text.size() && is_digit(text[i])) ++i;
    return i > start;
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (!digits()) {
    return {i, i > 0};  // a minus sign without digits is broken
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return {i, true};
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return {i, true};
  }
  return {i, false};
}

std::uint32_t hex_value(std::string_view four) {
  return static_cast<std::uint32_t>(std::stoul(std::string(four), nullptr, 16));
}

// The text with what V8 accepts and nlohmann refuses made harmless, byte for byte in place so
// that every other mistake keeps its line and column: a \u escape of an unpaired surrogate (V8
// keeps it in the string) becomes \ufffd, and, with `numbers`, a number past a double's range
// (V8 reads Infinity) becomes 0. Strings and numbers are found as JSON delimits them; text
// that is not JSON stays not JSON.
std::string as_nlohmann_reads_it(std::string_view text, bool numbers) {
  std::string copy(text);
  std::size_t i = 0;
  while (i < copy.size()) {
    const char c = copy[i];
    if (c == '"') {
      for (++i; i < copy.size() && copy[i] != '"'; ++i) {
        if (copy[i] != '\\') continue;
        const bool unicode = i + 5 < copy.size() && copy[i + 1] == 'u' && is_hex(copy[i + 2]) &&
                             is_hex(copy[i + 3]) && is_hex(copy[i + 4]) && is_hex(copy[i + 5]);
        if (!unicode) {
          ++i;  // the escaped character
          continue;
        }
        const std::uint32_t unit = hex_value(std::string_view(copy).substr(i + 2, 4));
        const bool high = unit >= 0xD800 && unit <= 0xDBFF;
        const bool low = unit >= 0xDC00 && unit <= 0xDFFF;
        const bool paired = high && i + 11 < copy.size() && copy[i + 6] == '\\' &&
                            copy[i + 7] == 'u' && is_hex(copy[i + 8]) && is_hex(copy[i + 9]) &&
                            is_hex(copy[i + 10]) && is_hex(copy[i + 11]) &&
                            hex_value(std::string_view(copy).substr(i + 8, 4)) >= 0xDC00 &&
                            hex_value(std::string_view(copy).substr(i + 8, 4)) <= 0xDFFF;
        if ((high || low) && !paired) copy.replace(i + 2, 4, "fffd");
        i += paired ? 11 : 5;
      }
      ++i;  // the closing quote
    } else if (numbers && (c == '-' || is_digit(c))) {
      // Only the number a lexer would read here: what follows it is the next token, and a
      // mistake there keeps its place.
      const NumberToken number = number_token(std::string_view(copy).substr(i));
      // The lexer stops at a broken number, and nothing after it is read.
      if (number.broken) break;
      if (number.length > 0)
        copy.replace(i, number.length, "0" + std::string(number.length - 1, ' '));
      i += std::max<std::size_t>(number.length, 1);
    } else {
      ++i;
    }
  }
  return copy;
}

}  // namespace

std::string nlohmann_parsable(std::string_view json) { return as_nlohmann_reads_it(json, false); }

std::optional<std::string> json_syntax_error(const std::string& path, const std::string& text) {
  // nlohmann takes a NUL byte for the end of the input, and would accept what follows it
  // unread; JSON has no place for one (found by tests/fuzz/json_input).
  if (std::size_t nul = text.find('\0'); nul != std::string::npos) {
    TextPosition at = position_of(text, nul);
    return fmt::format("{}: not valid JSON at line {}, column {}: a NUL byte", path, at.line,
                       at.column);
  }
  FirstError first_error;
  const std::string readable = as_nlohmann_reads_it(text, true);
  try {
    json::sax_parse(readable, &first_error);
  } catch (const json::exception& error) {
    first_error.message = error.what();
  }
  if (!first_error.message) return std::nullopt;
  const std::string words = in_our_words(*first_error.message);
  // "PATH: not valid JSON at line L, column C: what", or, for a message of another shape,
  // "PATH: not valid JSON: the message".
  return words.starts_with("at line ") ? fmt::format("{}: not valid JSON {}", path, words)
                                       : fmt::format("{}: not valid JSON: {}", path, words);
}

}  // namespace krepis

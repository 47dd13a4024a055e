#include "cli/repl_input.h"

#include <vector>

namespace krepis::cli {

bool is_incomplete(std::string_view code) {
  // Open constructs, innermost last: ( [ { as themselves, '`' for a template literal's text.
  std::vector<char> open;
  std::size_t i = 0;
  auto in_template = [&] { return !open.empty() && open.back() == '`'; };
  while (i < code.size()) {
    char c = code[i];
    if (in_template()) {
      if (c == '\\') {
        i += 2;
      } else if (c == '`') {
        open.pop_back();
        ++i;
      } else if (c == '$' && i + 1 < code.size() && code[i + 1] == '{') {
        open.push_back('{');
        i += 2;
      } else {
        ++i;
      }
      continue;
    }
    if (c == '/' && i + 1 < code.size() && code[i + 1] == '/') {
      while (i < code.size() && code[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < code.size() && code[i + 1] == '*') {
      std::size_t end = code.find("*/", i + 2);
      if (end == std::string_view::npos) return true;  // an open block comment
      i = end + 2;
      continue;
    }
    if (c == '\'' || c == '"') {
      ++i;
      while (i < code.size() && code[i] != c && code[i] != '\n') i += code[i] == '\\' ? 2 : 1;
      ++i;  // an unterminated string is a syntax error for V8 to report, not more input
      continue;
    }
    if (c == '`' || c == '(' || c == '[' || c == '{') {
      open.push_back(c);
    } else if (c == ')' || c == ']' || c == '}') {
      // A closer without its opener: V8 will say so; more input would not help.
      if (open.empty()) return false;
      open.pop_back();
    }
    ++i;
  }
  return !open.empty();
}

}  // namespace krepis::cli

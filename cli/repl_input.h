// Whether what was typed so far is a whole entry, or the REPL should ask for more: an open
// bracket, an unterminated template literal or block comment. Strings, comments and
// template substitutions are followed; everything else is left to V8, which reports real
// syntax errors when the entry runs.
#pragma once

#include <string_view>

namespace krepis::cli {

bool is_incomplete(std::string_view code);

}  // namespace krepis::cli

// Whether text is one JSON value, as V8's JSON.parse decides it, and if not, where it goes
// wrong: `run --input` refuses a file before anything runs, and a batch job whose input V8
// refused says why. V8 is the arbiter (it parses what scripts see); this check agrees with
// it (tests/fuzz/json_input compares the two) and adds the line and column V8 does not give.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace krepis {

// "path: not valid JSON: ..." with the line and column of the first mistake in `text`, or
// nothing when it is JSON. Checking costs more than V8's own JSON.parse, so a batch lets V8
// parse its inputs and asks this only for the message once V8 refused one.
std::optional<std::string> json_syntax_error(const std::string& path, const std::string& text);

// JSON as nlohmann can parse it: a \u escape of an unpaired surrogate, which is valid JSON
// and which V8's JSON.stringify writes for a lone surrogate in a string (so a report line may
// hold one), becomes \ufffd, in place. `krepis summarize` reads report lines through it.
std::string nlohmann_parsable(std::string_view json);

}  // namespace krepis

// Suggestions for mistyped names (manifest keys, tenant ids, commands).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace krepis {

// The candidate closest to `typed` by edit distance, if it is close enough to be a likely
// typo (at most a third of the word, and at most 3 edits); empty otherwise.
std::string closest_match(std::string_view typed, std::span<const std::string> candidates);

// " (did you mean 'x'?)" for the closest candidate, or "" when none is close.
std::string did_you_mean(std::string_view typed, std::span<const std::string> candidates);

}  // namespace krepis

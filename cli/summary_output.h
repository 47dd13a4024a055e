// The end-of-batch summary, for `krepis batch` and `krepis summarize`: a table for people,
// or the contract's {"summary": ...} line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/batch/batch_summary.h"

namespace krepis::cli {

// "1 job", "2 jobs": a count with its noun, plural when it is not one (`plural`, when the
// noun does not just take an s: "entry", "entries").
std::string counted(std::size_t count, std::string_view noun, std::string_view plural = {});

void print_summary(const BatchSummary& summary, bool json);

}  // namespace krepis::cli

// The end-of-batch summary, for `krepis batch` and `krepis summarize`: a table for people,
// or the contract's {"summary": ...} line.
#pragma once

#include "core/batch/batch_summary.h"

namespace krepis::cli {

void print_summary(const BatchSummary& summary, bool json);

}  // namespace krepis::cli

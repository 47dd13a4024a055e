// Aligned columns for people: `krepis tenants` and the batch summary.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace krepis::cli {

// Prints rows (the first is the header) on stdout, columns two spaces apart. The first
// `left_columns` columns are left-aligned (the last column unpadded), the rest
// right-aligned, as numbers are.
void print_table(const std::vector<std::vector<std::string>>& rows, std::size_t left_columns);

}  // namespace krepis::cli

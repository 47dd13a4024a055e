#include "cli/table.h"

#include <fmt/format.h>

#include <algorithm>

#include "cli/terminal.h"

namespace krepis::cli {

void print_table(const std::vector<std::vector<std::string>>& rows, std::size_t left_columns) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += "  ";
      if (i >= left_columns) {
        line += fmt::format("{:>{}}", row[i], widths[i]);
      } else {
        line += i + 1 == row.size() ? row[i] : fmt::format("{:<{}}", row[i], widths[i]);
      }
    }
    print_out("{}\n", line);
  }
}

}  // namespace krepis::cli

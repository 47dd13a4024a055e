// console.table: an array or object of rows drawn as a table with box characters, as node
// draws it: a "(index)" column, one column per key found in the rows (or the ones asked
// for), and "Values" for rows that are not objects. Cells are inspected, never run.
#pragma once

#include <v8-context.h>
#include <v8-value.h>

#include <optional>
#include <string>

namespace krepis {

// Rows and columns past these are left out, and a last line says how many rows were.
inline constexpr std::size_t kMaxTableRows = 1000;
inline constexpr std::size_t kMaxTableColumns = 100;

// nullopt when execution was terminated meanwhile.
std::optional<std::string> render_table(v8::Local<v8::Context> context, v8::Local<v8::Value> data,
                                        v8::Local<v8::Value> columns);

}  // namespace krepis

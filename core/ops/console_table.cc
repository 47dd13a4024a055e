#include "core/ops/console_table.h"

#include <v8-container.h>
#include <v8-object.h>
#include <v8-primitive.h>

#include <algorithm>
#include <map>
#include <vector>

#include "core/engine/v8_text.h"
#include "core/ops/inspect.h"

namespace krepis {
namespace {

// Cells show a value briefly: nested objects as [Object], long strings cut.
const InspectOptions kCell{0, 10, 100, 1000, true};

std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // one per character
  }));
}

std::string centred(const std::string& text, std::size_t width) {
  const std::size_t padding = width - display_width(text);
  return std::string(padding / 2, ' ') + text + std::string(padding - padding / 2, ' ');
}

std::string rule(const std::vector<std::size_t>& widths, const char* left, const char* middle,
                 const char* right) {
  std::string line = left;
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (i > 0) line += middle;
    for (std::size_t n = 0; n < widths[i] + 2; ++n) line += "─";
  }
  return line + right;
}

std::string row_line(const std::vector<std::string>& cells,
                     const std::vector<std::size_t>& widths) {
  std::string line = "│";
  for (std::size_t i = 0; i < widths.size(); ++i) {
    line += " " + centred(i < cells.size() ? cells[i] : "", widths[i]) + " │";
  }
  return line;
}

// A key as a header or index cell shows it: at most this many bytes, the rest cut.
constexpr std::size_t kMaxKeyBytes = 100;

struct Key {
  v8::Local<v8::Value> name;  // to read the property by
  std::string shown;          // cut at kMaxKeyBytes
};

// The first `limit` own enumerable string keys of an object (array indices too); `total` is
// how many there are.
std::optional<std::vector<Key>> keys_of(v8::Local<v8::Context> context,
                                        v8::Local<v8::Object> object, std::size_t limit,
                                        std::size_t& total) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Array> names;
  if (!object
           ->GetOwnPropertyNames(
               context, static_cast<v8::PropertyFilter>(v8::ONLY_ENUMERABLE | v8::SKIP_SYMBOLS),
               v8::KeyConversionMode::kConvertToString)
           .ToLocal(&names)) {
    return std::nullopt;
  }
  std::vector<Key> keys;
  total = names->Length();
  for (std::uint32_t i = 0; i < names->Length() && keys.size() < limit; ++i) {
    v8::Local<v8::Value> name;
    if (!names->Get(context, i).ToLocal(&name) || !name->IsString()) return std::nullopt;
    std::string shown;
    if (!append_utf8(isolate, name.As<v8::String>(), shown, kMaxKeyBytes)) shown += "…";
    keys.push_back(Key{name, std::move(shown)});
  }
  return keys;
}

}  // namespace

std::optional<std::string> render_table(v8::Local<v8::Context> context, v8::Local<v8::Value> data,
                                        v8::Local<v8::Value> columns) {
  v8::Local<v8::Object> rows = data.As<v8::Object>();
  std::size_t row_count = 0;
  std::optional<std::vector<Key>> row_keys = keys_of(context, rows, kMaxTableRows, row_count);
  if (!row_keys) return std::nullopt;
  const std::size_t rows_left_out = row_count - row_keys->size();

  // The columns asked for, or every key of the rows in the order first found.
  std::vector<std::string> keys;
  const bool chosen = columns->IsArray();
  if (chosen) {
    v8::Local<v8::Array> asked = columns.As<v8::Array>();
    for (std::uint32_t i = 0; i < asked->Length() && keys.size() < kMaxTableColumns; ++i) {
      v8::Local<v8::Value> name;
      if (!asked->Get(context, i).ToLocal(&name)) return std::nullopt;
      if (!name->IsString()) continue;
      std::string shown;
      if (!append_utf8(context->GetIsolate(), name.As<v8::String>(), shown, kMaxKeyBytes)) {
        shown += "…";
      }
      keys.push_back(std::move(shown));
    }
  }
  std::map<std::string, std::size_t> column_of;
  for (std::size_t i = 0; i < keys.size(); ++i) column_of.emplace(keys[i], i);
  bool values_column = false;
  struct Row {
    std::string index;
    std::map<std::size_t, std::string> cells;  // by column
    std::optional<std::string> value;          // a row that is not an object
  };
  std::vector<Row> table;
  for (const Key& key : *row_keys) {
    v8::Local<v8::Value> value;
    if (!rows->Get(context, key.name).ToLocal(&value)) return std::nullopt;
    Row row{key.shown, {}, std::nullopt};
    if (value->IsObject() && !value->IsFunction()) {
      v8::Local<v8::Object> object = value.As<v8::Object>();
      // Past the column limit nothing new is shown: only so many keys of a row are read.
      std::size_t cell_count = 0;
      std::optional<std::vector<Key>> cells =
          keys_of(context, object, kMaxTableColumns + keys.size(), cell_count);
      if (!cells) return std::nullopt;
      for (const Key& cell : *cells) {
        auto found = column_of.find(cell.shown);
        if (found == column_of.end()) {
          if (chosen || keys.size() >= kMaxTableColumns) continue;
          found = column_of.emplace(cell.shown, keys.size()).first;
          keys.push_back(cell.shown);
        }
        v8::Local<v8::Value> item;
        if (!object->Get(context, cell.name).ToLocal(&item)) return std::nullopt;
        std::optional<std::string> text = inspect(context, item, kCell);
        if (!text) return std::nullopt;
        row.cells[found->second] = std::move(*text);
      }
    } else {
      row.value = inspect(context, value, kCell);
      if (!row.value) return std::nullopt;
      values_column = true;
    }
    table.push_back(std::move(row));
  }

  std::vector<std::string> header{"(index)"};
  header.insert(header.end(), keys.begin(), keys.end());
  if (values_column) header.push_back("Values");
  std::vector<std::vector<std::string>> lines;
  for (Row& row : table) {
    std::vector<std::string> cells{row.index};
    for (std::size_t i = 0; i < keys.size(); ++i) {
      auto cell = row.cells.find(i);
      cells.push_back(cell != row.cells.end() ? std::move(cell->second) : std::string());
    }
    if (values_column) cells.push_back(row.value.value_or(""));
    lines.push_back(std::move(cells));
  }
  std::vector<std::size_t> widths;
  for (std::size_t i = 0; i < header.size(); ++i) {
    std::size_t width = display_width(header[i]);
    for (const auto& cells : lines) width = std::max(width, display_width(cells[i]));
    widths.push_back(width);
  }
  std::string out = rule(widths, "┌", "┬", "┐") + "\n" + row_line(header, widths) + "\n" +
                    rule(widths, "├", "┼", "┤") + "\n";
  for (const auto& cells : lines) out += row_line(cells, widths) + "\n";
  out += rule(widths, "└", "┴", "┘");
  if (rows_left_out > 0) out += "\n… " + std::to_string(rows_left_out) + " more rows";
  return out;
}

}  // namespace krepis

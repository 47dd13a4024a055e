#include "core/base/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "core/base/utf8.h"

namespace krepis {

namespace {

using Shown = ReportField::Shown;
using Coding = ReportField::Coding;

// Invalid UTF-8 cannot reach here (V8 replaces lone surrogates), but a report line must
// never fail to print: replace rather than throw.
std::string escape_line_breakers(std::string line) {
  // Most lines hold neither lead byte: they are returned as they are, uncopied.
  if (line.find_first_of("\xC2\xE2") == std::string::npos) return line;
  std::string escaped;
  escaped.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto byte = static_cast<unsigned char>(line[i]);
    const auto next = [&](std::size_t k) {
      return i + k < line.size() ? static_cast<unsigned char>(line[i + k]) : 0;
    };
    if (byte == 0xC2 && next(1) >= 0x80 && next(1) <= 0x9F) {
      escaped += fmt::format("\\u{:04x}", next(1));
      i += 1;
    } else if (byte == 0xE2 && next(1) == 0x80 && (next(2) == 0xA8 || next(2) == 0xA9)) {
      escaped += next(2) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      escaped += line[i];
    }
  }
  return escaped;
}

void append_json(std::string& line, const nlohmann::json& value) {
  line += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
// Most strings in a line (names, statuses) are printable ASCII with no quote or backslash:
// their JSON is themselves in quotes, written without a JSON value made for them (which cost
// a batch's parent ~7 us a line). Anything else goes the nlohmann way.
void append_string(std::string& line, std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) return append_json(line, nlohmann::json(text));
  line += '"';
  line += text;
  line += '"';
}
void append_strings(std::string& line, const std::vector<std::string>& texts) {
  line += '[';
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i > 0) line += ',';
    append_string(line, texts[i]);
  }
  line += ']';
}
// A time in ms: the shortest text that reads back as the same double, as nlohmann writes it
// ("2.0", "0.125"). In this range both write fixed notation; nlohmann adds ".0" to a whole
// number, and fmt does not. Below 2^43 ms (279 years), a whole number of microseconds lies
// well inside its double's rounding interval, where both pick the same digits; past it
// they may differ in the last digit (both read back alike). Outside it, nlohmann writes it.
void append_number(std::string& line, double value) {
  const double magnitude = std::fabs(value);
  if (!(value == 0.0 || (magnitude >= 1e-3 && magnitude < 0x1p43))) {
    return append_json(line, value);
  }
  const std::size_t start = line.size();
  fmt::format_to(std::back_inserter(line), "{}", value);
  if (line.find('.', start) == std::string::npos) line += ".0";
}
// Counts and flags need no escaping, nor a JSON value made to write them (most of a line).
void append_count(std::string& line, std::size_t count) {
  fmt::format_to(std::back_inserter(line), "{}", count);
}
void append_flag(std::string& line, bool flag) { line += flag ? "true" : "false"; }

// json_line writes the field names as they are: they must need no escaping.
constexpr bool plain_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
  });
}
#define KREPIS_CHECK_NAME(type, member, name, ...) \
  static_assert(plain_name(name), "a report field's name must be a plain identifier");
KREPIS_REPORT_FIELDS(KREPIS_CHECK_NAME)
#undef KREPIS_CHECK_NAME

// Each kind of value as a line writes it.
void append_value(std::string& line, RunStatus status) { append_string(line, to_string(status)); }
void append_value(std::string& line, StopReason reason) { append_string(line, to_string(reason)); }
// Times in ms to the microsecond: the clocks measure no finer, and 1.3934280000000037 says
// nothing 1.393 does not.
void append_value(std::string& line, double ms) {
  append_number(line, std::round(ms * 1000.0) / 1000.0);
}
void append_value(std::string& line, const std::string& text) { append_string(line, text); }
void append_value(std::string& line, const std::vector<std::string>& texts) {
  append_strings(line, texts);
}

bool has_value(const RunReport& report, StopReason reason) {
  // The contract has stopped_by for timeout and oom only.
  return reason != StopReason::kNone && report.status != RunStatus::kError;
}
// A flag shown when set is shown when true.
bool has_value(const RunReport&, bool flag) { return flag; }
template <class T>
bool has_value(const RunReport&, const std::optional<T>& value) {
  return value.has_value();
}
template <class T>
bool has_value(const RunReport&, const std::vector<T>& value) {
  return !value.empty();
}
template <class T>
bool has_value(const RunReport&, const T&) {
  return true;
}

// Reads one field's value from a parsed JSON line; false when it has the wrong type.
bool read_value(const nlohmann::json& value, const ReportField&, RunStatus& status) {
  if (!value.is_string()) return false;
  std::optional<RunStatus> parsed = parse_status(value.get_ref<const std::string&>());
  if (parsed) status = *parsed;
  return parsed.has_value();
}
bool read_value(const nlohmann::json& value, const ReportField&, StopReason& reason) {
  if (!value.is_string()) return false;
  std::optional<StopReason> parsed = parse_stop_reason(value.get_ref<const std::string&>());
  if (parsed) reason = *parsed;
  return parsed.has_value();
}
bool read_value(const nlohmann::json& value, const ReportField& field, bool& flag) {
  if (field.coding == Coding::kWarmCold) {
    if (value != "warm" && value != "cold") return false;
    flag = value == "warm";
    return true;
  }
  if (!value.is_boolean()) return false;
  flag = value.get<bool>();
  return true;
}
bool read_value(const nlohmann::json& value, const ReportField& field,
                std::optional<std::string>& text) {
  if (field.coding == Coding::kRawJson) {
    text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return true;
  }
  if (!value.is_string()) return false;
  text = value.get<std::string>();
  return true;
}
bool read_value(const nlohmann::json& value, const ReportField&, std::string& text) {
  if (!value.is_string()) return false;
  text = value.get<std::string>();
  return true;
}
bool read_value(const nlohmann::json& value, const ReportField&, double& number) {
  if (!value.is_number()) return false;
  number = value.get<double>();
  return true;
}
bool read_value(const nlohmann::json& value, const ReportField&, std::size_t& count) {
  if (!value.is_number_unsigned()) return false;
  count = value.get<std::size_t>();
  return true;
}
bool read_value(const nlohmann::json& value, const ReportField&, std::vector<std::string>& lines) {
  if (!value.is_array()) return false;
  for (const nlohmann::json& line : value) {
    if (!line.is_string()) return false;
  }
  lines = value.get<std::vector<std::string>>();
  return true;
}

}  // namespace

std::string json_line(const RunReport& report) {
  std::string line = "{";
  const std::optional<std::string>* raw = nullptr;
  visit_report_fields(report, [&](const ReportField& field, const auto& value) {
    if (field.shown == Shown::kWireOnly) return;
    if (field.shown == Shown::kWhenSet && !has_value(report, value)) return;
    if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::optional<std::string>>) {
      if (field.coding == Coding::kRawJson) {
        raw = &value;
        return;
      }
    }
    // The names are the schema's: plain identifiers, written as they are.
    if (line.size() > 1) line += ',';
    line += '"';
    line += field.name;
    line += "\":";
    if constexpr (std::is_same_v<std::decay_t<decltype(value)>, bool>) {
      if (field.coding == Coding::kWarmCold) {
        line += value ? "\"warm\"" : "\"cold\"";
        return;
      }
    }
    using Value = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<Value, std::size_t>) {
      append_count(line, value);
    } else if constexpr (std::is_same_v<Value, bool>) {
      append_flag(line, value);
    } else if constexpr (requires { value.value(); }) {
      append_value(line, *value);
    } else {
      append_value(line, value);
    }
  });
  if (raw != nullptr && raw->has_value()) {
    // The result is JSON text as V8's JSON.stringify wrote it; spliced in as it is, because
    // re-parsing would cost time and reject the lone-surrogate escapes JSON.stringify emits.
    line += ",\"result\":";
    line += **raw;
  }
  line += '}';
  // Valid JSON may carry C1 controls (CSI, NEL) and U+2028/U+2029 raw; a terminal or a
  // line-oriented reader would act on them. As escapes they are the same JSON.
  return escape_line_breakers(std::move(line));
}

std::optional<RunReport> report_from_json(const nlohmann::json& line) {
  if (!line.is_object()) return std::nullopt;
  RunReport report;
  bool valid = true;
  bool has_status = false;
  visit_report_fields(report, [&](const ReportField& field, auto& member) {
    auto found = line.find(field.name);
    if (found == line.end()) return;
    if (!read_value(*found, field, member)) valid = false;
    if (field.name == "status") has_status = true;
  });
  if (!valid || !has_status) return std::nullopt;
  return report;
}

std::string human_bytes(std::size_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string usage_line(const RunReport& report) {
  std::string line = fmt::format("{:<7} {}  {}", to_string(report.status), one_line(report.script),
                                 one_line(report.tenant));
  if (report.status == RunStatus::kDenied) return line;
  line += fmt::format("  wall {:.1f} ms  cpu {:.1f} ms  heap {} peak / {} cap  ext {}  {}",
                      report.wall_ms, report.cpu_ms, human_bytes(report.heap_peak_bytes),
                      human_bytes(report.heap_cap_bytes), human_bytes(report.external_bytes),
                      report.warm ? "warm" : "cold");
  return line;
}

}  // namespace krepis

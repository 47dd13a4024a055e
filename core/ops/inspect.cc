#include "core/ops/inspect.h"

#include <fmt/format.h>
#include <v8-container.h>
#include <v8-date.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-json.h>
#include <v8-primitive-object.h>
#include <v8-primitive.h>
#include <v8-promise.h>
#include <v8-proxy.h>
#include <v8-regexp.h>
#include <v8-typed-array.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <vector>

#include "core/base/utf8.h"
#include "core/engine/v8_text.h"

namespace krepis {
namespace {

// Lines longer than this are broken, one entry per line.
constexpr std::size_t kLineWidth = 72;

bool is_identifier(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '$' || static_cast<unsigned char>(c) >= 0x80;
    if (!ok) return false;
  }
  return true;
}

std::string quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    switch (c) {
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "'";
}

std::string indent_lines(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

// "{ a, b }" when it fits on a line, else one entry per line.
std::string layout(const std::string& open, const std::vector<std::string>& entries,
                   const std::string& close) {
  if (entries.empty()) return open + close;
  std::size_t width = open.size() + close.size();
  bool multiline = false;
  for (const std::string& entry : entries) {
    width += entry.size() + 2;
    multiline |= entry.find('\n') != std::string::npos;
  }
  if (!multiline && width <= kLineWidth) {
    return fmt::format("{} {} {}", open, fmt::join(entries, ", "), close);
  }
  std::string out = open + "\n";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out += "  " + indent_lines(entries[i]) + (i + 1 < entries.size() ? ",\n" : "\n");
  }
  return out + close;
}

std::string iso_date(double ms) {
  if (!std::isfinite(ms)) return "Invalid Date";
  auto seconds = static_cast<std::time_t>(std::floor(ms / 1000));
  int millis = static_cast<int>(ms - static_cast<double>(seconds) * 1000);
  std::tm utc{};
  if (::gmtime_r(&seconds, &utc) == nullptr) return "Invalid Date";
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

class Inspector {
 public:
  Inspector(v8::Local<v8::Context> context, const InspectOptions& options)
      : isolate_(context->GetIsolate()), context_(context), options_(options) {}

  bool terminated() const { return terminated_ || isolate_->IsExecutionTerminating(); }

  std::string value(v8::Local<v8::Value> value, int depth, bool top) {
    if (terminated()) return {};
    if (used_ > options_.budget) return "…";
    std::string text = describe(value, depth, top);
    // Entries past the budget are elided, but the layout around those within it adds
    // indentation at every level of nesting: cut here too, so the text is never more than
    // the budget (found by tests/fuzz/inspect, with nested promises).
    if (text.size() > options_.budget) text = shortened(text, options_.budget);
    used_ += text.size();
    return text;
  }

 private:
  std::size_t budget_left() const { return options_.budget > used_ ? options_.budget - used_ : 0; }
  // Never more than the budget left: a huge string costs no more than what is shown.
  std::string text_of(v8::Local<v8::String> text) {
    std::string utf8;
    if (!append_utf8(isolate_, text, utf8, budget_left())) utf8 += "…";
    return utf8;
  }

  std::string primitive(v8::Local<v8::Value> value) {
    if (value->IsNumber()) {
      double number = value.As<v8::Number>()->Value();
      if (number == 0 && std::signbit(number)) return "-0";
    }
    v8::Local<v8::String> text;
    if (value->IsSymbol()) {
      v8::Local<v8::Value> description = value.As<v8::Symbol>()->Description(isolate_);
      return description->IsString() ? "Symbol(" + text_of(description.As<v8::String>()) + ")"
                                     : "Symbol()";
    }
    // Primitives convert without running script code.
    if (!value->ToString(context_).ToLocal(&text)) return "?";
    return text_of(text) + (value->IsBigInt() ? "n" : "");
  }

  std::string string(v8::Local<v8::String> text, bool top) {
    std::string utf8;
    const bool whole = append_utf8(
        isolate_, text, utf8, top ? budget_left() : std::min(budget_left(), options_.max_string));
    std::string shown = top ? utf8 : quote(utf8);
    if (!whole) shown += fmt::format("... ({} characters in all)", text->Length());
    return shown;
  }

  std::string describe(v8::Local<v8::Value> value, int depth, bool top) {
    if (value->IsString()) return string(value.As<v8::String>(), top);
    if (!value->IsObject()) return primitive(value);
    if (value->IsFunction()) {
      std::string name = text_of(value.As<v8::Function>()->GetName().As<v8::String>());
      return name.empty() ? "[Function (anonymous)]" : "[Function: " + name + "]";
    }
    if (value->IsProxy()) return "[Proxy]";
    v8::Local<v8::Object> object = value.As<v8::Object>();
    for (v8::Local<v8::Object> open : open_) {
      if (open->StrictEquals(object)) return "[Circular]";
    }
    open_.push_back(object);
    std::string text = compound(object, depth);
    open_.pop_back();
    return text;
  }

  std::string compound(v8::Local<v8::Object> object, int depth) {
    if (object->IsNativeError()) return error(object, depth);
    if (object->IsDate()) return iso_date(object.As<v8::Date>()->ValueOf());
    if (object->IsRegExp()) return regexp(object.As<v8::RegExp>());
    if (object->IsNumberObject() || object->IsStringObject() || object->IsBooleanObject() ||
        object->IsBigIntObject() || object->IsSymbolObject()) {
      return boxed(object);
    }
    if (object->IsWeakMap()) return "WeakMap { <items unknown> }";
    if (object->IsWeakSet()) return "WeakSet { <items unknown> }";
    if (object->IsArrayBuffer() || object->IsSharedArrayBuffer()) {
      std::size_t length = object->IsArrayBuffer()
                               ? object.As<v8::ArrayBuffer>()->ByteLength()
                               : object.As<v8::SharedArrayBuffer>()->ByteLength();
      return fmt::format("{} {{ byteLength: {} }}",
                         object->IsArrayBuffer() ? "ArrayBuffer" : "SharedArrayBuffer", length);
    }
    const bool too_deep = depth > options_.depth;
    if (object->IsPromise()) {
      return too_deep ? "[Promise]" : promise(object.As<v8::Promise>(), depth);
    }
    if (object->IsMap() || object->IsSet()) return collection(object, depth, too_deep);
    if (object->IsTypedArray()) return typed_array(object.As<v8::TypedArray>(), depth, too_deep);
    if (object->IsArray()) {
      if (too_deep) return "[Array]";
      return layout("[", array_items(object.As<v8::Array>(), depth), "]");
    }
    return plain(object, depth, too_deep);
  }

  std::string error(v8::Local<v8::Object> error, int depth) {
    std::string text;
    v8::Local<v8::Value> stack;
    v8::Local<v8::String> key;
    {
      // Reading the stack may run Error.prepareStackTrace; a throw there is not ours.
      v8::TryCatch try_catch(isolate_);
      if (to_v8(isolate_, "stack").ToLocal(&key) && error->Get(context_, key).ToLocal(&stack) &&
          stack->IsString()) {
        text = text_of(stack.As<v8::String>());
      }
      if (try_catch.HasTerminated()) {
        terminated_ = true;
        try_catch.ReThrow();
        return {};
      }
    }
    if (text.empty()) {
      v8::Local<v8::String> detail;
      text = error->ToDetailString(context_).ToLocal(&detail) ? "[" + text_of(detail) + "]"
                                                              : "[Error]";
    }
    // Own enumerable properties besides the message and stack (a `code`, say).
    std::vector<std::string> extra = properties(error, depth, {"stack", "message"});
    return extra.empty() ? text : text + " " + layout("{", extra, "}");
  }

  std::string regexp(v8::Local<v8::RegExp> regexp) {
    std::string flags;
    const auto set = regexp->GetFlags();
    const std::pair<v8::RegExp::Flags, char> known[] = {
        {v8::RegExp::kHasIndices, 'd'}, {v8::RegExp::kGlobal, 'g'}, {v8::RegExp::kIgnoreCase, 'i'},
        {v8::RegExp::kMultiline, 'm'},  {v8::RegExp::kDotAll, 's'}, {v8::RegExp::kUnicode, 'u'},
        {v8::RegExp::kSticky, 'y'}};
    for (auto [flag, letter] : known) {
      if (set & flag) flags += letter;
    }
    return "/" + text_of(regexp->GetSource()) + "/" + flags;
  }

  std::string boxed(v8::Local<v8::Object> object) {
    if (object->IsStringObject()) {
      return "[String: " + quote(text_of(object.As<v8::StringObject>()->ValueOf())) + "]";
    }
    if (object->IsNumberObject()) {
      return "[Number: " +
             primitive(v8::Number::New(isolate_, object.As<v8::NumberObject>()->ValueOf())) + "]";
    }
    if (object->IsBooleanObject()) {
      return object.As<v8::BooleanObject>()->ValueOf() ? "[Boolean: true]" : "[Boolean: false]";
    }
    if (object->IsBigIntObject()) {
      return "[BigInt: " + primitive(object.As<v8::BigIntObject>()->ValueOf()) + "]";
    }
    return "[Symbol: " + primitive(object.As<v8::SymbolObject>()->ValueOf()) + "]";
  }

  std::string promise(v8::Local<v8::Promise> promise, int depth) {
    switch (promise->State()) {
      case v8::Promise::kPending:
        return "Promise { <pending> }";
      case v8::Promise::kFulfilled:
        return layout("Promise {", {value(promise->Result(), depth + 1, false)}, "}");
      case v8::Promise::kRejected:
        return layout("Promise {", {"<rejected> " + value(promise->Result(), depth + 1, false)},
                      "}");
    }
    return "Promise {}";
  }

  std::string collection(v8::Local<v8::Object> object, int depth, bool too_deep) {
    const bool is_map = object->IsMap();
    v8::Local<v8::Array> flat =
        is_map ? object.As<v8::Map>()->AsArray() : object.As<v8::Set>()->AsArray();
    const std::size_t size = is_map ? object.As<v8::Map>()->Size() : object.As<v8::Set>()->Size();
    std::string open = fmt::format("{}({}) {{", is_map ? "Map" : "Set", size);
    if (too_deep) return fmt::format("[{}]", is_map ? "Map" : "Set");
    std::vector<std::string> entries;
    const std::uint32_t step = is_map ? 2 : 1;
    for (std::uint32_t i = 0; i < flat->Length() && !terminated(); i += step) {
      if (entries.size() == options_.max_items) {
        entries.push_back(fmt::format("... {} more items", size - options_.max_items));
        break;
      }
      v8::Local<v8::Value> item;
      if (!flat->Get(context_, i).ToLocal(&item)) break;
      std::string entry = value(item, depth + 1, false);
      if (is_map) {
        v8::Local<v8::Value> mapped;
        if (!flat->Get(context_, i + 1).ToLocal(&mapped)) break;
        entry += " => " + value(mapped, depth + 1, false);
      }
      entries.push_back(std::move(entry));
    }
    return layout(open, entries, "}");
  }

  std::string typed_array(v8::Local<v8::TypedArray> array, int depth, bool too_deep) {
    std::string name = text_of(array->GetConstructorName());
    const std::size_t length = array->Length();
    if (too_deep) return "[" + name + "]";
    std::vector<std::string> entries;
    for (std::size_t i = 0; i < length && !terminated(); ++i) {
      if (entries.size() == options_.max_items) {
        entries.push_back(fmt::format("... {} more items", length - options_.max_items));
        break;
      }
      v8::Local<v8::Value> item;
      if (!array->Get(context_, static_cast<std::uint32_t>(i)).ToLocal(&item)) break;
      entries.push_back(value(item, depth + 1, false));
    }
    return layout(fmt::format("{}({}) [", name, length), entries, "]");
  }

  // An own property's value as shown: accessors are named, never called.
  std::string property_value(v8::Local<v8::Object> object, v8::Local<v8::Name> key, int depth) {
    v8::Local<v8::Value> descriptor;
    if (!object->GetOwnPropertyDescriptor(context_, key).ToLocal(&descriptor) ||
        !descriptor->IsObject()) {
      return "undefined";
    }
    v8::Local<v8::Object> fields = descriptor.As<v8::Object>();
    auto has_own = [&](const char* name) {
      v8::Local<v8::String> field;
      return to_v8(isolate_, name).ToLocal(&field) &&
             fields->HasOwnProperty(context_, field).FromMaybe(false);
    };
    bool getter = has_own("get");
    bool setter = has_own("set");
    if (getter || setter) {
      v8::Local<v8::Value> get, set;
      v8::Local<v8::String> name;
      getter = to_v8(isolate_, "get").ToLocal(&name) && fields->Get(context_, name).ToLocal(&get) &&
               !get->IsUndefined();
      setter = to_v8(isolate_, "set").ToLocal(&name) && fields->Get(context_, name).ToLocal(&set) &&
               !set->IsUndefined();
      if (getter && setter) return "[Getter/Setter]";
      return getter ? "[Getter]" : setter ? "[Setter]" : "undefined";
    }
    v8::Local<v8::String> name;
    v8::Local<v8::Value> item;
    if (!to_v8(isolate_, "value").ToLocal(&name) || !fields->Get(context_, name).ToLocal(&item)) {
      return "undefined";
    }
    return value(item, depth + 1, false);
  }

  std::vector<std::string> array_items(v8::Local<v8::Array> array, int depth) {
    std::vector<std::string> entries;
    const std::uint32_t length = array->Length();
    std::uint32_t holes = 0;
    auto flush_holes = [&] {
      if (holes > 0)
        entries.push_back(fmt::format("<{} empty item{}>", holes, holes > 1 ? "s" : ""));
      holes = 0;
    };
    for (std::uint32_t i = 0; i < length && !terminated(); ++i) {
      if (entries.size() >= options_.max_items) {
        flush_holes();
        entries.push_back(fmt::format("... {} more items", length - i));
        return entries;
      }
      if (!array->HasRealIndexedProperty(context_, i).FromMaybe(false)) {
        ++holes;
        continue;
      }
      flush_holes();
      entries.push_back(
          property_value(array, v8::Integer::NewFromUnsigned(isolate_, i).As<v8::Name>(), depth));
    }
    flush_holes();
    return entries;
  }

  std::string key_text(v8::Local<v8::Value> key) {
    if (key->IsSymbol()) return "[" + primitive(key) + "]";
    v8::Local<v8::String> text;
    if (!key->ToString(context_).ToLocal(&text)) return "?";
    std::string name = text_of(text);
    return is_identifier(name) ? name : quote(name);
  }

  std::vector<std::string> properties(v8::Local<v8::Object> object, int depth,
                                      std::initializer_list<std::string_view> skip = {}) {
    std::vector<std::string> entries;
    v8::Local<v8::Array> keys;
    if (!object
             ->GetPropertyNames(
                 context_, v8::KeyCollectionMode::kOwnOnly, v8::PropertyFilter::ONLY_ENUMERABLE,
                 v8::IndexFilter::kIncludeIndices, v8::KeyConversionMode::kConvertToString)
             .ToLocal(&keys)) {
      return entries;
    }
    for (std::uint32_t i = 0; i < keys->Length() && !terminated(); ++i) {
      if (entries.size() == options_.max_items) {
        entries.push_back(fmt::format("... {} more properties", keys->Length() - i));
        break;
      }
      v8::Local<v8::Value> key;
      if (!keys->Get(context_, i).ToLocal(&key) || !key->IsName()) continue;
      std::string name = key_text(key);
      if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
      entries.push_back(name + ": " + property_value(object, key.As<v8::Name>(), depth));
    }
    return entries;
  }

  std::string plain(v8::Local<v8::Object> object, int depth, bool too_deep) {
    std::string prefix;
    v8::Local<v8::Value> prototype = object->GetPrototype();
    if (prototype->IsNull()) {
      prefix = "[Object: null prototype] ";
    } else {
      std::string name = text_of(object->GetConstructorName());
      if (name != "Object") prefix = name + " ";
    }
    if (too_deep)
      return prefix.empty() ? "[Object]" : "[" + prefix.substr(0, prefix.size() - 1) + "]";
    return layout(prefix + "{", properties(object, depth), "}");
  }

  v8::Isolate* isolate_;
  v8::Local<v8::Context> context_;
  const InspectOptions& options_;
  // The objects being shown, outermost first: meeting one again is a cycle.
  std::vector<v8::Local<v8::Object>> open_;
  std::size_t used_ = 0;
  bool terminated_ = false;
};

// A number as JavaScript prints it.
std::string number_text(v8::Local<v8::Context> context, double number) {
  if (number == 0 && std::signbit(number)) return "-0";
  v8::Local<v8::String> text;
  if (!v8::Number::New(context->GetIsolate(), number)->ToString(context).ToLocal(&text)) {
    return "NaN";
  }
  return to_utf8(context->GetIsolate(), text);
}

// %d %i %f: primitives convert as Number() does; objects show NaN rather than run valueOf.
double numeric(v8::Local<v8::Context> context, v8::Local<v8::Value> value) {
  if (value->IsObject() || value->IsSymbol()) return std::nan("");
  return value->NumberValue(context).FromMaybe(std::nan(""));
}

}  // namespace

std::optional<std::string> inspect(v8::Local<v8::Context> context, v8::Local<v8::Value> value,
                                   const InspectOptions& options) {
  Inspector inspector(context, options);
  std::string text = inspector.value(value, 0, !options.quote_strings);
  if (inspector.terminated()) return std::nullopt;
  return text;
}

std::optional<std::string> format_log_arguments(const v8::FunctionCallbackInfo<v8::Value>& info,
                                                int first) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  InspectOptions options;
  Inspector inspector(context, options);
  std::string out;
  int next = first;

  // Everything shown is bounded by the budget: past it, the rest is elided.
  const std::size_t limit = options.budget;
  auto full = [&] { return out.size() >= limit; };
  auto append_string = [&](v8::Local<v8::String> text) {
    if (!append_utf8(isolate, text, out, limit)) out += "…";
  };
  auto text_of = [&](v8::Local<v8::Value> value) {
    if (value->IsString()) {
      append_string(value.As<v8::String>());
      return std::string();
    }
    return inspector.value(value, 0, true);
  };
  if (info.Length() > first && info[first]->IsString()) {
    std::string format;
    if (!append_utf8(isolate, info[first].As<v8::String>(), format, limit)) format += "…";
    next = first + 1;
    for (std::size_t i = 0; i < format.size() && !full(); ++i) {
      if (format[i] != '%' || i + 1 == format.size()) {
        out += format[i];
        continue;
      }
      char spec = format[i + 1];
      if (spec == '%') {
        out += '%';
        ++i;
        continue;
      }
      if (std::string_view("sdifjoOc").find(spec) == std::string_view::npos ||
          next >= info.Length()) {
        out += format[i];
        continue;
      }
      ++i;
      v8::Local<v8::Value> arg = info[next++];
      switch (spec) {
        case 's':
          if (arg->IsString()) {
            append_string(arg.As<v8::String>());
          } else {
            out += inspector.value(arg, 1, false);
          }
          break;
        case 'd':
          out += arg->IsBigInt() ? inspector.value(arg, 0, false)
                                 : number_text(context, numeric(context, arg));
          break;
        case 'i':
          out += arg->IsBigInt() ? inspector.value(arg, 0, false)
                                 : number_text(context, std::trunc(numeric(context, arg)));
          break;
        case 'f':
          out += number_text(context, numeric(context, arg));
          break;
        case 'j': {
          // JSON.stringify may run the script's toJSON: the deadline bounds it.
          v8::TryCatch try_catch(isolate);
          v8::Local<v8::String> json;
          if (v8::JSON::Stringify(context, arg).ToLocal(&json)) {
            append_string(json);
          } else if (try_catch.HasTerminated()) {
            try_catch.ReThrow();
            return std::nullopt;
          } else {
            out += "[Circular or unserialisable]";
          }
          break;
        }
        case 'o':
        case 'O':
          out += inspector.value(arg, 0, false);
          break;
        case 'c':
          break;  // CSS in browsers; nothing on a terminal
      }
      if (inspector.terminated()) return std::nullopt;
    }
  }
  for (int i = next; i < info.Length() && !full(); ++i) {
    if (!out.empty() || i > first) out += ' ';
    out += text_of(info[i]);
    if (inspector.terminated()) return std::nullopt;
  }
  return out;
}

}  // namespace krepis

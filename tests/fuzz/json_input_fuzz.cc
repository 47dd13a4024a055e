// The JSON input reader (core/base/json_syntax, as `run --input` checks an
// input file) against V8's JSON.parse (as a batch job's input is parsed), on any well-formed
// UTF-8 text. Must hold: both accept or both refuse (a file `run` refuses, a batch would run,
// and the other way round), and a refusal names the file and says where.
#include <v8-exception.h>
#include <v8-json.h>

#include <string>

#include "core/base/json_syntax.h"
#include "core/base/utf8.h"
#include "core/engine/v8_text.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/v8_fixture.h"

using krepis::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // read_text_file lets only well-formed UTF-8 through, without a byte order mark.
  if (krepis::first_invalid_utf8(text) || text.starts_with("\xEF\xBB\xBF")) return -1;
  std::optional<std::string> refusal = krepis::json_syntax_error("in.json", text);
  if (refusal) {
    check(refusal->starts_with("in.json: not valid JSON"), "a refusal names the file");
    check(refusal->find("line ") != std::string::npos, "a refusal says where");
  }
  krepis::fuzz::V8Input v8_input;
  v8::Isolate* isolate = v8_input.fixture.isolate();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> source;
  check(krepis::to_v8(isolate, text).ToLocal(&source), "the text becomes a V8 string");
  const bool v8_accepts = !v8::JSON::Parse(v8_input.context, source).IsEmpty();
  check(v8_accepts == !refusal.has_value(), "run's check and V8 agree on what is JSON");
  return 0;
}

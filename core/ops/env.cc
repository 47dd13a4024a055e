// Restricted op "env": krepis.env.get(name) over the tenant's own env table from the
// manifest. The host's environment is never visible.
#include <v8-primitive.h>

#include "core/engine/v8_text.h"
#include "core/ops/families.h"
#include "core/ops/op_call.h"

namespace krepis {
namespace {

// Longer names cannot be in the manifest's env table; refused before they are copied.
constexpr std::size_t kMaxEnvNameBytes = 1024;

void get(const v8::FunctionCallbackInfo<v8::Value>& info) {
  OpCall call(info, "krepis.env.get");
  if (!call.active()) return;
  std::optional<std::string> name = call.string_arg(0, "name", kMaxEnvNameBytes);
  if (!name) return;
  const auto& env = call.host().grants.env;
  auto found = env.find(*name);
  if (found == env.end()) return;  // undefined, as process.env has it
  v8::Local<v8::String> value;
  if (to_v8(call.isolate(), found->second).ToLocal(&value)) call.set_result(value);
}

}  // namespace

void install_env(OpInstaller& installer) {
  installer.method<&get>(installer.space("env"), "get", 1);
}

}  // namespace krepis

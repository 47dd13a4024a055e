#include "core/ops/registry.h"

#include <v8-exception.h>

#include <algorithm>

#include "core/engine/v8_text.h"
#include "core/ops/console.h"
#include "core/ops/families.h"

namespace krepis {
namespace {

struct OpFamily {
  std::string_view grant;  // empty: shared by every tenant
  void (*install)(OpInstaller&);
};

constexpr OpFamily kFamilies[] = {
    {"", &install_stats},
    {"fs.read", &install_fs_read},
    {"fs.write", &install_fs_write},
    {"env", &install_env},
};

}  // namespace

bool OpGrants::grants(std::string_view op) const {
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

OpInstaller::OpInstaller(v8::Isolate* isolate, OpHost& host)
    : isolate_(isolate),
      host_(host),
      data_(v8::External::New(isolate, &host)),
      krepis_(v8::ObjectTemplate::New(isolate)) {}

v8::Local<v8::ObjectTemplate> OpInstaller::space(const std::string& name) {
  auto [entry, created] = spaces_.try_emplace(name);
  if (created) entry->second = v8::ObjectTemplate::New(isolate_);
  return entry->second;
}

void OpInstaller::throw_internal_error(const v8::FunctionCallbackInfo<v8::Value>& info,
                                       const char* what) noexcept {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::String> message;
  if (to_v8(isolate, std::string("host op failed: ") + what).ToLocal(&message)) {
    isolate->ThrowException(v8::Exception::Error(message));
  }
}

void OpInstaller::add_method(v8::Local<v8::ObjectTemplate> target, const char* name,
                             v8::FunctionCallback callback, int length) {
  target->Set(isolate_, name,
              v8::FunctionTemplate::New(isolate_, callback, data_, {}, length,
                                        v8::ConstructorBehavior::kThrow));
}

v8::Local<v8::ObjectTemplate> OpInstaller::finish() {
  for (const auto& [name, space] : spaces_) krepis_->Set(isolate_, name.c_str(), space);
  return krepis_;
}

OpTemplates make_op_templates(v8::Isolate* isolate, OpHost& host) {
  OpInstaller installer(isolate, host);
  for (const OpFamily& family : kFamilies) {
    if (family.grant.empty() || host.grants.grants(family.grant)) family.install(installer);
  }
  if (install_native_test_hooks != nullptr) install_native_test_hooks(installer);
  return OpTemplates{make_console_template(isolate, host), installer.finish()};
}

bool has_op_family(std::string_view grant) {
  return std::any_of(std::begin(kFamilies), std::end(kFamilies),
                     [&](const OpFamily& family) { return family.grant == grant; });
}

}  // namespace krepis

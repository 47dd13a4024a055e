// The op registry: every family of host ops, and the templates a sandbox's contexts are made
// with. Shared families (console, krepis.stats, krepis.tenant) go to every tenant; a
// restricted family (fs.read, fs.write, env) only to tenants whose tier grants it, and a
// tenant without the grant has no such property at all. Templates are built once per
// isolate, for its one tenant; a run only instantiates them.
#pragma once

#include <v8-external.h>
#include <v8-function-callback.h>
#include <v8-template.h>

#include <exception>
#include <map>
#include <string>
#include <string_view>

#include "core/ops/op_host.h"

namespace krepis {

// What a family's install function adds its ops to.
class OpInstaller {
 public:
  OpInstaller(v8::Isolate* isolate, OpHost& host);

  v8::Isolate* isolate() const { return isolate_; }
  OpHost& host() const { return host_; }
  // The `krepis` object.
  v8::Local<v8::ObjectTemplate> krepis() const { return krepis_; }
  // `krepis.<name>`, made on first use (fs.read and fs.write share `krepis.fs`).
  v8::Local<v8::ObjectTemplate> space(const std::string& name);
  // A function property whose callback reaches the host through OpCall. The callback runs
  // behind a guard: no C++ exception (std::bad_alloc, say) ever unwinds through V8's frames.
  template <v8::FunctionCallback callback>
  void method(v8::Local<v8::ObjectTemplate> target, const char* name, int length) {
    add_method(target, name, &guarded<callback>, length);
  }
  // Puts the namespaces on `krepis`; the installer is done.
  v8::Local<v8::ObjectTemplate> finish();

 private:
  template <v8::FunctionCallback callback>
  static void guarded(const v8::FunctionCallbackInfo<v8::Value>& info) noexcept {
    try {
      callback(info);
    } catch (const std::exception& error) {
      throw_internal_error(info, error.what());
    } catch (...) {
      throw_internal_error(info, "unknown failure");
    }
  }
  static void throw_internal_error(const v8::FunctionCallbackInfo<v8::Value>& info,
                                   const char* what) noexcept;
  void add_method(v8::Local<v8::ObjectTemplate> target, const char* name,
                  v8::FunctionCallback callback, int length);

  v8::Isolate* isolate_;
  OpHost& host_;
  v8::Local<v8::External> data_;
  v8::Local<v8::ObjectTemplate> krepis_;
  std::map<std::string, v8::Local<v8::ObjectTemplate>> spaces_;
};

struct OpTemplates {
  v8::Local<v8::ObjectTemplate> console;
  v8::Local<v8::ObjectTemplate> krepis;
};

// The templates for the host's tenant: shared families, and the granted ones.
OpTemplates make_op_templates(v8::Isolate* isolate, OpHost& host);

// True when a family answers to this grant name (the manifest's names must all have one).
bool has_op_family(std::string_view grant);

}  // namespace krepis

// One call of a host op from JavaScript: finds the run in progress, validates arguments
// without running script code (no toString, no getters), and fails with JavaScript errors
// that say which op and what was expected. No C++ exception ever leaves an op.
#pragma once

#include <v8-function-callback.h>
#include <v8-isolate.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/ops/op_host.h"
#include "core/ops/tenant_folder.h"

namespace krepis {

class OpCall {
 public:
  // `name` as scripts know it, e.g. "krepis.fs.readText".
  OpCall(const v8::FunctionCallbackInfo<v8::Value>& info, const char* name);

  // False when no run is in progress (an Error is thrown), or when the run is stopped (its
  // termination lands: see op_stop.h). Every op starts with it.
  bool active();
  OpHost& host() { return *host_; }
  OpRun& run() { return *host_->run; }
  v8::Isolate* isolate() { return isolate_; }
  v8::Local<v8::Context> context() { return context_; }
  const v8::FunctionCallbackInfo<v8::Value>& info() { return info_; }

  // The argument as UTF-8 if it is a string of at most max_bytes; else a TypeError (wrong
  // type) or a RangeError (too long) is thrown and nothing is returned.
  std::optional<std::string> string_arg(int index, const char* what, std::size_t max_bytes);
  // A path argument (a string; its checks are the folder's).
  std::optional<std::string> path_arg(int index);

  // The tenant's folder, or nothing (with the error thrown) when it could not be opened.
  const TenantFolder* folder(std::string_view path);
  // How every fs op starts: a run in progress, the path in argument 0 (`if_undefined` when
  // it is undefined and one is given), the tenant's folder. Nothing when one of them failed
  // (its error is thrown).
  const TenantFolder* path_and_folder(std::string& path, const char* if_undefined = nullptr);

  void type_error(std::string_view message);
  // An Error with `code` and `path` properties: "krepis.fs.readText: EACCES: ...", unless
  // the run was stopped meanwhile (then its guard ends it).
  void fs_error(const FsError& error, std::string_view path);
  // The run was stopped (deadline, heap cap) while the op worked.
  bool should_stop() const;
  // Before an op makes `bytes` of JavaScript memory: past the heap cap it stops the run (as
  // the heap guard would), rather than let V8 abort on an allocation it cannot make.
  bool reserve_heap(std::size_t bytes);

  void set_result(v8::Local<v8::Value> value) { info_.GetReturnValue().Set(value); }
  // A plain object with these own data properties; empty if V8 failed (termination).
  v8::MaybeLocal<v8::Object> object(
      std::initializer_list<std::pair<const char*, v8::Local<v8::Value>>> fields);
  // A string of `text`; empty, with a RangeError thrown, past V8's longest string.
  v8::Local<v8::Value> string(std::string_view text);
  // Throws that RangeError, for an op that made its string itself.
  void string_too_long(std::size_t size);
  v8::Local<v8::Value> number(double value);

 private:
  const v8::FunctionCallbackInfo<v8::Value>& info_;
  const char* name_;
  v8::Isolate* isolate_;
  v8::Local<v8::Context> context_;
  OpHost* host_;
};

// "a number", "an object", "null", ...: what a script passed, for TypeError messages.
std::string describe_type(v8::Isolate* isolate, v8::Local<v8::Value> value);

}  // namespace krepis

#include "core/runtime/module_graph.h"

#include <fmt/format.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-json.h>
#include <v8-microtask-queue.h>
#include <v8-primitive.h>
#include <v8-promise.h>

#include <algorithm>

#include "core/base/json_syntax.h"
#include "core/base/utf8.h"
#include "core/engine/v8_text.h"
#include "core/ops/op_host.h"
#include "core/runtime/isolate_slots.h"

namespace krepis {
namespace {

// What an import asserts: { type: 'json' } or nothing. `stride`: 3 for a static import
// (key, value, offset), 2 for import() (key, value). False, with `why`, for anything else.
bool asserts_json(v8::Local<v8::Context> context, v8::Local<v8::FixedArray> assertions,
                  int stride, bool& json, std::string& why) {
  json = false;
  v8::Isolate* isolate = context->GetIsolate();
  for (int i = 0; i + 1 < assertions->Length(); i += stride) {
    v8::Local<v8::Data> key = assertions->Get(context, i);
    v8::Local<v8::Data> value = assertions->Get(context, i + 1);
    if (!key->IsValue() || !value->IsValue() || !key.As<v8::Value>()->IsString() ||
        !value.As<v8::Value>()->IsString()) {
      why = "an import assertion that is not a string";
      return false;
    }
    const std::string name = to_utf8(isolate, key.As<v8::String>());
    const std::string type = to_utf8(isolate, value.As<v8::String>());
    if (name != "type") {
      why = fmt::format("the import assertion '{}' is not supported (only type: 'json' is)",
                        one_line(name));
      return false;
    }
    if (type != "json") {
      why = fmt::format("the module type '{}' is not supported (only 'json' is)", one_line(type));
      return false;
    }
    json = true;
  }
  return true;
}

// A promise already fulfilled with undefined: what a synthetic module's evaluation returns.
v8::MaybeLocal<v8::Value> fulfilled(v8::Local<v8::Context> context) {
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver) ||
      resolver->Resolve(context, v8::Undefined(context->GetIsolate())).IsNothing()) {
    return {};
  }
  return resolver->GetPromise();
}

// The function an import()'s promise ends with: it returns its data, the namespace.
void return_data(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info.Data());
}

// The message a refused file gets, in the module's words rather than the fs ops'.
std::string read_failure(const FsError& error, const std::string& shown, std::size_t max_bytes,
                         bool quota_bound) {
  if (error.code == "ENOENT") return fmt::format("{} does not exist", shown);
  if (error.code == "EDQUOT") {
    return quota_bound ? fmt::format("reading {} would pass the run's read quota (the tier's "
                                     "read_quota_mb; modules count as reads)",
                                     shown)
                       : fmt::format("{} is larger than the tier's max_script_mb ({} MB)",
                                     shown, max_bytes / kMiB);
  }
  if (error.code == "EISDIR") return fmt::format("{} is a folder", shown);
  return error.message;
}

}  // namespace

ModuleGraph::ModuleGraph(v8::Isolate* isolate, const Job& job, std::size_t max_module_bytes)
    : isolate_(isolate),
      root_(job.module_root),
      root_name_(job.module_root_name),
      entry_name_(job.script_name),
      max_module_bytes_(max_module_bytes) {
  enter(job);
}

ModuleGraph::~ModuleGraph() = default;

void ModuleGraph::install(v8::Isolate* isolate) {
  isolate->SetHostImportModuleDynamicallyCallback(&ModuleGraph::import_dynamically);
  isolate->SetHostInitializeImportMetaObjectCallback(&ModuleGraph::initialize_meta);
}

ModuleGraph::Serving::Serving(v8::Isolate* isolate, ModuleGraph& graph)
    : isolate_(isolate),
      previous_(isolate->GetData(static_cast<std::uint32_t>(IsolateSlot::kModuleGraph))) {
  set_slot(isolate, IsolateSlot::kModuleGraph, &graph);
}

ModuleGraph::Serving::~Serving() { set_slot(isolate_, IsolateSlot::kModuleGraph, previous_); }

ModuleGraph* ModuleGraph::current(v8::Isolate* isolate) {
  return static_cast<ModuleGraph*>(
      isolate->GetData(static_cast<std::uint32_t>(IsolateSlot::kModuleGraph)));
}

std::string ModuleGraph::display(const std::string& path) const {
  if (path.empty()) return entry_name_;
  if (root_name_.empty()) return path;
  return root_name_ + "/" + path;
}

bool ModuleGraph::stopped() const {
  OpHost* host = op_host_of(isolate_);
  return isolate_->IsExecutionTerminating() ||
         (host->run != nullptr && host->run->stop != nullptr && host->run->stop->tripped());
}

const ModuleGraph::Loaded* ModuleGraph::find(v8::Local<v8::Module> module) const {
  auto [first, last] = by_hash_.equal_range(module->GetIdentityHash());
  for (auto it = first; it != last; ++it) {
    if (loaded_[it->second].module == module) return &loaded_[it->second];
  }
  return nullptr;
}

v8::Local<v8::Module> ModuleGraph::add(v8::Local<v8::Module> module, std::string path,
                                       v8::Local<v8::Value> json) {
  const std::size_t index = loaded_.size();
  by_hash_.emplace(module->GetIdentityHash(), index);
  if (!path.empty()) by_path_.emplace(path, index);
  Loaded& entry = loaded_.emplace_back();
  entry.path = std::move(path);
  entry.module.Reset(isolate_, module);
  if (!json.IsEmpty()) entry.json.Reset(isolate_, json);
  return module;
}

v8::MaybeLocal<v8::Module> ModuleGraph::refuse(const std::string& at, std::string_view specifier,
                                               const std::string& why) {
  v8::Local<v8::String> message;
  if (to_v8(isolate_, fmt::format("{}: cannot import '{}': {}", at, one_line(specifier), why))
          .ToLocal(&message)) {
    isolate_->ThrowException(v8::Exception::Error(message));
  }
  return {};
}

v8::MaybeLocal<v8::Module> ModuleGraph::fetch(v8::Local<v8::Context> context,
                                              const std::string& referrer, const std::string& at,
                                              std::string_view specifier, bool json,
                                              bool& fresh) {
  fresh = false;
  Result<ModuleRequest> request = resolve_module_specifier(referrer, specifier, json);
  if (!request.ok()) return refuse(at, specifier, request.error().message);
  if (auto known = by_path_.find(request->path); known != by_path_.end()) {
    return loaded_[known->second].module.Get(isolate_);
  }
  if (stopped()) return {};
  if (loaded_.size() >= kMaxModules) {
    return refuse(at, specifier,
                  fmt::format("the run has loaded {} modules, the most it may", kMaxModules));
  }
  const std::string shown = display(request->path);
  if (root_.empty()) {
    return refuse(at, specifier, "this script has no folder to import from");
  }
  if (!folder_) {
    FsError error;
    folder_ = TenantFolder::open(root_, error, "the job's folder");
    if (!folder_) {
      return refuse(at, specifier,
                    fmt::format("the job's folder cannot be opened: {}", error.message));
    }
  }
  OpRun* run = op_host_of(isolate_)->run;
  const std::size_t quota = op_host_of(isolate_)->grants.read_quota_bytes;
  const std::size_t read_so_far = run != nullptr ? run->bytes_read : 0;
  const std::size_t quota_left = quota > read_so_far ? quota - read_so_far : 0;
  const std::size_t max_bytes = std::min(max_module_bytes_, quota_left);
  std::string text;
  FsResult<std::size_t> read = folder_->read(
      request->path, max_bytes,
      [&text](std::size_t size) {
        text.resize(size);
        return text.data();
      },
      [this] { return stopped(); });
  if (!read.ok()) {
    if (stopped()) return {};
    return refuse(at, specifier,
                  read_failure(read.error(), shown, max_module_bytes_, quota_left < max_module_bytes_));
  }
  text.resize(*read);
  if (run != nullptr) run->bytes_read += text.size();
  if (std::optional<std::size_t> bad = first_invalid_utf8(text)) {
    return refuse(at, specifier, fmt::format("{} is not UTF-8 (byte {})", shown, *bad + 1));
  }
  v8::Local<v8::String> name;
  v8::Local<v8::String> source;
  if (!to_v8(isolate_, shown).ToLocal(&name) || !to_v8(isolate_, text).ToLocal(&source)) {
    if (stopped()) return {};
    return refuse(at, specifier, fmt::format("{} is too large for V8", shown));
  }
  fresh = true;
  if (request->type == ModuleType::kJson) {
    v8::Local<v8::Value> value;
    bool parsed = false;
    {
      // V8's SyntaxError names no file: it is replaced by one that does.
      v8::TryCatch parse(isolate_);
      parsed = v8::JSON::Parse(context, source).ToLocal(&value);
      if (!parsed && (stopped() || parse.HasTerminated())) {
        parse.ReThrow();
        return {};
      }
    }
    if (!parsed) {
      return refuse(at, specifier,
                    json_syntax_error(shown, text).value_or(shown + ": not JSON V8 can parse"));
    }
    v8::Local<v8::String> default_name = v8::String::NewFromUtf8Literal(isolate_, "default");
    return add(v8::Module::CreateSyntheticModule(isolate_, name, {default_name},
                                                 &ModuleGraph::evaluate_json),
               request->path, value);
  }
  v8::ScriptOrigin origin(isolate_, name, 0, 0, false, -1, {}, false, false, true);
  // Compiled afresh each run: a per-isolate cache of V8's code for the module measured
  // slower, not faster (docs/PERFORMANCE.md, "Module jobs").
  v8::ScriptCompiler::Source compiled_source(source, origin);
  v8::Local<v8::Module> module;
  if (!v8::ScriptCompiler::CompileModule(isolate_, &compiled_source).ToLocal(&module)) return {};
  paths_by_name_[shown] = request->path;
  return add(module, request->path);
}

bool ModuleGraph::load_imports(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                               const std::string& path) {
  struct Pending {
    v8::Local<v8::Module> module;
    std::string path;
  };
  std::vector<Pending> pending{{module, path}};
  while (!pending.empty()) {
    Pending next = std::move(pending.back());
    pending.pop_back();
    if (!next.module->IsSourceTextModule()) continue;
    v8::Local<v8::FixedArray> requests = next.module->GetModuleRequests();
    for (int i = 0; i < requests->Length(); ++i) {
      v8::Local<v8::ModuleRequest> request = requests->Get(context, i).As<v8::ModuleRequest>();
      v8::Location where = next.module->SourceOffsetToLocation(request->GetSourceOffset());
      const std::string at =
          fmt::format("{}:{}:{}", display(next.path),
                      where.GetLineNumber() + 1, where.GetColumnNumber() + 1);
      const std::string specifier = to_utf8(isolate_, request->GetSpecifier());
      bool json = false;
      std::string why;
      if (!asserts_json(context, request->GetImportAssertions(), 3, json, why)) {
        refuse(at, specifier, why);
        return false;
      }
      bool fresh = false;
      v8::Local<v8::Module> imported;
      if (!fetch(context, next.path, at, specifier, json, fresh).ToLocal(&imported)) return false;
      if (fresh) pending.push_back({imported, find(imported)->path});
    }
  }
  return true;
}

v8::MaybeLocal<v8::Module> ModuleGraph::instantiate_entry(v8::Local<v8::Context> context,
                                                          const Job& job) {
  v8::EscapableHandleScope scope(isolate_);
  v8::Local<v8::String> name;
  v8::Local<v8::String> source;
  if (!to_v8(isolate_, job.script_name).ToLocal(&name) ||
      !to_v8(isolate_, job.source).ToLocal(&source)) {
    if (!stopped()) {
      isolate_->ThrowException(v8::Exception::RangeError(
          v8::String::NewFromUtf8Literal(isolate_, "the module is too large for V8")));
    }
    return {};
  }
  v8::ScriptOrigin origin(isolate_, name, 0, 0, false, -1, {}, false, false, true);
  v8::ScriptCompiler::Source compiled_source(source, origin);
  v8::Local<v8::Module> module;
  if (!v8::ScriptCompiler::CompileModule(isolate_, &compiled_source).ToLocal(&module)) return {};
  add(module, job.entry_path);
  if (!load_imports(context, module, job.entry_path)) return {};
  if (!module->InstantiateModule(context, &ModuleGraph::resolve_linked).FromMaybe(false)) {
    return {};
  }
  return scope.Escape(module);
}

v8::MaybeLocal<v8::Module> ModuleGraph::resolve_linked(v8::Local<v8::Context> context,
                                                       v8::Local<v8::String> specifier,
                                                       v8::Local<v8::FixedArray> assertions,
                                                       v8::Local<v8::Module> referrer) {
  v8::Isolate* isolate = context->GetIsolate();
  ModuleGraph* graph = current(isolate);
  const Loaded* from = graph != nullptr ? graph->find(referrer) : nullptr;
  bool json = false;
  std::string why;
  const std::string text = to_utf8(isolate, specifier);
  if (from != nullptr && asserts_json(context, assertions, 3, json, why)) {
    Result<ModuleRequest> request = resolve_module_specifier(from->path, text, json);
    if (request.ok()) {
      if (auto known = graph->by_path_.find(request->path); known != graph->by_path_.end()) {
        return graph->loaded_[known->second].module.Get(isolate);
      }
    }
  }
  // Every import was loaded before instantiation began: this is not reached.
  isolate->ThrowException(v8::Exception::Error(
      v8::String::NewFromUtf8Literal(isolate, "a module import was not loaded")));
  return {};
}

v8::MaybeLocal<v8::Value> ModuleGraph::evaluate_json(v8::Local<v8::Context> context,
                                                     v8::Local<v8::Module> module) {
  v8::Isolate* isolate = context->GetIsolate();
  ModuleGraph* graph = current(isolate);
  const Loaded* loaded = graph != nullptr ? graph->find(module) : nullptr;
  if (loaded == nullptr || loaded->json.IsEmpty() ||
      module
          ->SetSyntheticModuleExport(isolate, v8::String::NewFromUtf8Literal(isolate, "default"),
                                     loaded->json.Get(isolate))
          .IsNothing()) {
    if (!isolate->IsExecutionTerminating()) {
      isolate->ThrowException(v8::Exception::Error(
          v8::String::NewFromUtf8Literal(isolate, "a JSON module outlived its run")));
    }
    return {};
  }
  return fulfilled(context);
}

void ModuleGraph::initialize_meta(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                                  v8::Local<v8::Object> meta) {
  v8::Isolate* isolate = context->GetIsolate();
  ModuleGraph* graph = current(isolate);
  const Loaded* loaded = graph != nullptr ? graph->find(module) : nullptr;
  if (loaded == nullptr) return;
  v8::Local<v8::String> url;
  if (!to_v8(isolate, module_url(loaded->path)).ToLocal(&url)) return;
  // Fails only when terminated, which ends the run anyway.
  meta->CreateDataProperty(context, v8::String::NewFromUtf8Literal(isolate, "url"), url)
      .FromMaybe(false);
}

v8::MaybeLocal<v8::Promise> ModuleGraph::import_dynamically(
    v8::Local<v8::Context> context, v8::Local<v8::Data> /*options*/,
    v8::Local<v8::Value> resource_name, v8::Local<v8::String> specifier,
    v8::Local<v8::FixedArray> assertions) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return {};
  bool json = false;
  std::string why;
  if (!asserts_json(context, assertions, 2, json, why)) {
    v8::Local<v8::String> message;
    if (!to_v8(isolate, fmt::format("cannot import '{}': {}", one_line(to_utf8(isolate, specifier)),
                                    why))
             .ToLocal(&message) ||
        resolver->Reject(context, v8::Exception::TypeError(message)).IsNothing()) {
      return {};
    }
    return scope.Escape(resolver->GetPromise());
  }
  // The import runs as a job of the run's own microtask queue, after this call returns, as
  // the language says it must (a module's code never runs inside the import() expression).
  v8::Local<v8::Value> name =
      resource_name->IsString() ? resource_name : v8::String::Empty(isolate).As<v8::Value>();
  v8::Local<v8::Value> parts[] = {resolver, specifier, name, v8::Boolean::New(isolate, json)};
  v8::Local<v8::Function> job;
  if (!v8::Function::New(context, &ModuleGraph::run_import,
                         v8::Array::New(isolate, parts, std::size(parts)), 0,
                         v8::ConstructorBehavior::kThrow)
           .ToLocal(&job)) {
    return {};
  }
  context->GetMicrotaskQueue()->EnqueueMicrotask(isolate, job);
  return scope.Escape(resolver->GetPromise());
}

void ModuleGraph::run_import(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> parts = info.Data().As<v8::Array>();
  v8::Local<v8::Value> resolver_value;
  v8::Local<v8::Value> specifier;
  v8::Local<v8::Value> name;
  v8::Local<v8::Value> json;
  if (!parts->Get(context, 0).ToLocal(&resolver_value) ||
      !parts->Get(context, 1).ToLocal(&specifier) || !parts->Get(context, 2).ToLocal(&name) ||
      !parts->Get(context, 3).ToLocal(&json)) {
    return;
  }
  v8::Local<v8::Promise::Resolver> resolver = resolver_value.As<v8::Promise::Resolver>();
  ModuleGraph* graph = current(isolate);
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Promise> namespace_promise;
  if (graph == nullptr) {
    isolate->ThrowException(v8::Exception::Error(
        v8::String::NewFromUtf8Literal(isolate, "import() outlived the run that made it")));
  } else {
    const std::string referrer_name = to_utf8(isolate, name.As<v8::String>());
    auto known = graph->paths_by_name_.find(referrer_name);
    const std::string referrer = known != graph->paths_by_name_.end() ? known->second : "";
    const std::string at = referrer_name.empty() ? "import()" : referrer_name;
    if (graph->import(context, referrer, at, specifier.As<v8::String>(), json->IsTrue())
            .ToLocal(&namespace_promise)) {
      resolver->Resolve(context, namespace_promise).FromMaybe(false);
      return;
    }
  }
  if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) {
    try_catch.ReThrow();
    return;
  }
  // Every failure throws; should one not, the import still settles rather than hang.
  v8::Local<v8::Value> exception =
      try_catch.HasCaught()
          ? try_catch.Exception()
          : v8::Exception::Error(v8::String::NewFromUtf8Literal(isolate, "import() failed"));
  try_catch.Reset();
  resolver->Reject(context, exception).FromMaybe(false);
}

v8::MaybeLocal<v8::Promise> ModuleGraph::import(v8::Local<v8::Context> context,
                                                const std::string& referrer,
                                                const std::string& at,
                                                v8::Local<v8::String> specifier, bool json) {
  v8::EscapableHandleScope scope(isolate_);
  const std::string text = to_utf8(isolate_, specifier);
  bool fresh = false;
  v8::Local<v8::Module> module;
  if (!fetch(context, referrer, at, text, json, fresh).ToLocal(&module)) return {};
  if (fresh && !load_imports(context, module, find(module)->path)) return {};
  if (module->GetStatus() == v8::Module::kUninstantiated &&
      !module->InstantiateModule(context, &ModuleGraph::resolve_linked).FromMaybe(false)) {
    return {};
  }
  v8::Local<v8::Value> evaluation;
  v8::Local<v8::Function> give_namespace;
  v8::Local<v8::Promise> done;
  if (!module->Evaluate(context).ToLocal(&evaluation) || !evaluation->IsPromise() ||
      !v8::Function::New(context, &return_data, module->GetModuleNamespace(), 0,
                         v8::ConstructorBehavior::kThrow)
           .ToLocal(&give_namespace) ||
      !evaluation.As<v8::Promise>()->Then(context, give_namespace).ToLocal(&done)) {
    return {};
  }
  return scope.Escape(done);
}

}  // namespace krepis

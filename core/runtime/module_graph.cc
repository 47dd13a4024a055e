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
#include "core/runtime/module_messages.h"

namespace krepis {
namespace {

// A promise already fulfilled with undefined: what a synthetic module's evaluation returns.
v8::MaybeLocal<v8::Value> fulfilled(v8::Local<v8::Context> context) {
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver) ||
      resolver->Resolve(context, v8::Undefined(context->GetIsolate())).IsNothing()) {
    return {};
  }
  return resolver->GetPromise();
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

void ModuleGraph::enter(const Job& job) {
  entry_name_ = job.script_name;
  // Names not here import from the root: only scripts with a path of their own are kept.
  if (!job.entry_path.empty()) paths_by_name_[job.script_name] = job.entry_path;
  refusal_.reset();
}

std::optional<ModuleGraph::Refusal> ModuleGraph::take_refusal() {
  return std::exchange(refusal_, std::nullopt);
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
                                       std::string name, v8::Local<v8::Value> json) {
  const std::size_t index = loaded_.size();
  by_hash_.emplace(module->GetIdentityHash(), index);
  if (!path.empty()) by_path_.emplace(path, index);
  if (!name.empty()) paths_by_name_[name] = path;
  Loaded& entry = loaded_.emplace_back();
  entry.path = std::move(path);
  entry.name = std::move(name);
  entry.module.Reset(isolate_, module);
  if (!json.IsEmpty()) entry.json.Reset(isolate_, json);
  return module;
}

void ModuleGraph::forget_since(std::size_t mark) {
  for (std::size_t index = loaded_.size(); index-- > mark;) {
    const Loaded& entry = loaded_[index];
    if (auto known = by_path_.find(entry.path); known != by_path_.end() && known->second == index) {
      by_path_.erase(known);
    }
    auto [first, last] = by_hash_.equal_range(entry.module.Get(isolate_)->GetIdentityHash());
    for (auto it = first; it != last; ++it) {
      if (it->second == index) {
        by_hash_.erase(it);
        break;
      }
    }
    if (!entry.name.empty()) paths_by_name_.erase(entry.name);
    loaded_.pop_back();
  }
}

v8::MaybeLocal<v8::Module> ModuleGraph::refuse(const std::string& at, std::string_view specifier,
                                               const std::string& why) {
  refusal_ = Refusal{at, fmt::format("cannot import '{}': {}", excerpt(specifier), why)};
  throw_error(isolate_, fmt::format("{}: {}", at, refusal_->what));
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
    return refuse(at, specifier,
                  "this script has no module folder: a script file imports from its own "
                  "folder, a batch job from its tenant's; -e, stdin and REPL entries only from "
                  "--module-root DIR");
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
               request->path, "", value);
  }
  v8::ScriptOrigin origin(isolate_, name, 0, 0, false, -1, {}, false, false, true);
  // Compiled afresh each run: a per-isolate cache of V8's code for the module measured
  // slower, not faster (docs/PERFORMANCE.md, "Module jobs").
  v8::ScriptCompiler::Source compiled_source(source, origin);
  v8::Local<v8::Module> module;
  if (!v8::ScriptCompiler::CompileModule(isolate_, &compiled_source).ToLocal(&module)) return {};
  // Its name as V8 gives it back to import(): a byte that is not UTF-8 became U+FFFD.
  return add(module, request->path, to_utf8(isolate_, name));
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
      bool whole = false;
      const std::string specifier =
          utf8_prefix(isolate_, request->GetSpecifier(), kMaxSpecifierBytes + 1, whole);
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
  refusal_.reset();
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
  if (loaded_.size() >= kMaxModules) {
    throw_error(isolate_, fmt::format("{}: this session has loaded {} modules, the most it may",
                                      job.script_name, kMaxModules));
    return {};
  }
  v8::ScriptOrigin origin(isolate_, name, 0, 0, false, -1, {}, false, false, true);
  v8::ScriptCompiler::Source compiled_source(source, origin);
  v8::Local<v8::Module> module;
  if (!v8::ScriptCompiler::CompileModule(isolate_, &compiled_source).ToLocal(&module)) return {};
  const std::size_t mark = loaded_.size();
  add(module, job.entry_path, "");
  if (!load_imports(context, module, job.entry_path)) {
    forget_since(mark);
    return {};
  }
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
  bool whole = false;
  const std::string text = utf8_prefix(isolate, specifier, kMaxSpecifierBytes + 1, whole);
  if (from != nullptr && whole && asserts_json(context, assertions, 3, json, why)) {
    Result<ModuleRequest> request = resolve_module_specifier(from->path, text, json);
    if (request.ok()) {
      if (auto known = graph->by_path_.find(request->path); known != graph->by_path_.end()) {
        return graph->loaded_[known->second].module.Get(isolate);
      }
    }
  }
  // Every module in the graph had its imports loaded (a load that fails is forgotten
  // whole): this is reached only if that promise breaks.
  throw_error(isolate, "internal error: a module's import was not loaded");
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
    // Its value is kept from its load until the graph goes: only termination gets here.
    throw_error(isolate, "a JSON module's value could not be exported");
    return {};
  }
  return fulfilled(context);
}

}  // namespace krepis

// The ES modules of one context: the graph a module job imports statically, loaded and
// instantiated before it runs, and what import() (from a module or a classic script) and
// import.meta ask for while it runs. A fresh context gets a new graph, so no module instance,
// namespace or top-level state passes from one run to the next; a REPL's kept context keeps
// its graph, as it keeps its globals.
//
// Every file is found by module_specifier.h's rule and opened beneath the job's root with
// the fs ops' confined open (TenantFolder: openat2 RESOLVE_BENEATH, so a symlink or `..`
// that leads out fails in the kernel), within limits: kMaxModules modules, each no larger
// than the tier's max_script_mb, all of them together within the run's read quota (module
// bytes count as the fs ops' reads do), and the deadline checked between files. A load that
// fails leaves the graph as it was before it began, so a later import of the same files
// tries again rather than finding half a graph.
//
// module_graph.cc loads and links; module_import.cc is import() and import.meta.
#pragma once

#include <v8-context.h>
#include <v8-isolate.h>
#include <v8-persistent-handle.h>
#include <v8-script.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/job.h"
#include "core/base/module_specifier.h"
#include "core/ops/tenant_folder.h"

namespace krepis {

// Modules one context may load; a graph of more fails at the import that passes it.
inline constexpr std::size_t kMaxModules = 1000;

class ModuleGraph {
 public:
  // `max_module_bytes`: the largest file it may import (the tier's max_script_mb).
  ModuleGraph(v8::Isolate* isolate, const Job& job, std::size_t max_module_bytes);
  ~ModuleGraph();
  ModuleGraph(const ModuleGraph&) = delete;
  ModuleGraph& operator=(const ModuleGraph&) = delete;

  // V8's callbacks for import(), import.meta and JSON modules: once per isolate.
  static void install(v8::Isolate* isolate);

  // The job runs in this graph's context next (a kept context's graph sees many): an
  // import() its script makes resolves from the script's own path.
  void enter(const Job& job);

  // Compiles the job's source as a module, loads what it imports (transitively) and
  // instantiates the graph. Empty with an exception pending (a SyntaxError, an import that
  // is refused or cannot be read, a limit), or when the run was stopped.
  v8::MaybeLocal<v8::Module> instantiate_entry(v8::Local<v8::Context> context, const Job& job);

  // Why the last static import was refused, where it is ("acme/job.mjs:2:15") and what
  // ("cannot import 'x': ..."), for the report; taken once.
  struct Refusal {
    std::string at;
    std::string what;
  };
  std::optional<Refusal> take_refusal();

  // While one lives, `graph` serves the isolate's import() and import.meta; outside a run
  // there is none, and an import() that reaches V8 then is refused.
  class Serving {
   public:
    Serving(v8::Isolate* isolate, ModuleGraph& graph);
    ~Serving();
    Serving(const Serving&) = delete;
    Serving& operator=(const Serving&) = delete;

   private:
    v8::Isolate* isolate_;
    void* previous_;
  };

 private:
  struct Loaded {
    std::string path;  // beneath the root; empty for a module that has no file (-e)
    std::string name;  // its script name as V8 has it, when it has a file
    v8::Global<v8::Module> module;
    v8::Global<v8::Value> json;  // a JSON module's value
  };

  static ModuleGraph* current(v8::Isolate* isolate);
  // import() (module_import.cc).
  static v8::MaybeLocal<v8::Promise> import_dynamically(v8::Local<v8::Context> context,
                                                        v8::Local<v8::Data> options,
                                                        v8::Local<v8::Value> resource_name,
                                                        v8::Local<v8::String> specifier,
                                                        v8::Local<v8::FixedArray> assertions);
  static void run_import(const v8::FunctionCallbackInfo<v8::Value>& info);
  static void initialize_meta(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                              v8::Local<v8::Object> meta);
  // The whole of an import(): load, instantiate, evaluate, then settle `resolver` with the
  // namespace once evaluated. False with an exception pending when it cannot begin.
  bool import(v8::Local<v8::Context> context, const std::string& referrer,
              const std::string& at, const std::string& specifier, bool json,
              v8::Local<v8::Promise::Resolver> resolver);

  static v8::MaybeLocal<v8::Value> evaluate_json(v8::Local<v8::Context> context,
                                                 v8::Local<v8::Module> module);
  static v8::MaybeLocal<v8::Module> resolve_linked(v8::Local<v8::Context> context,
                                                   v8::Local<v8::String> specifier,
                                                   v8::Local<v8::FixedArray> assertions,
                                                   v8::Local<v8::Module> referrer);

  // How reports name the file at `path`: "acme/lib/x.mjs"; the job's script for "".
  std::string display(const std::string& path) const;
  const Loaded* find(v8::Local<v8::Module> module) const;
  v8::Local<v8::Module> add(v8::Local<v8::Module> module, std::string path, std::string name,
                            v8::Local<v8::Value> json = {});
  // Drops what was loaded since `mark` (loaded_.size() when a load began).
  void forget_since(std::size_t mark);
  // Throws an Error "<at>: cannot import '<specifier>': <why>", kept as the refusal too;
  // returns empty.
  v8::MaybeLocal<v8::Module> refuse(const std::string& at, std::string_view specifier,
                                    const std::string& why);
  // The module `specifier` names from the file at `referrer`, loaded (read and compiled)
  // unless it already was; `fresh` says it was just now. `at` names the import for errors.
  v8::MaybeLocal<v8::Module> fetch(v8::Local<v8::Context> context, const std::string& referrer,
                                   const std::string& at, std::string_view specifier, bool json,
                                   bool& fresh);
  // Loads what `module` (at `path`) imports, and what those import, depth first.
  bool load_imports(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                    const std::string& path);
  bool stopped() const;

  v8::Isolate* isolate_;
  std::string root_;
  std::string root_name_;
  std::string entry_name_;  // the script of the job running now
  std::size_t max_module_bytes_;
  std::optional<TenantFolder> folder_;  // opened at the first import
  std::vector<Loaded> loaded_;
  std::unordered_map<std::string, std::size_t> by_path_;
  std::unordered_multimap<int, std::size_t> by_hash_;
  // Script names (as V8 has them) of the files run in this context, and their paths: where
  // an import() they make resolves from. Names not here import from the root.
  std::map<std::string, std::string> paths_by_name_;
  std::optional<Refusal> refusal_;
};

}  // namespace krepis

#include "cli/repl_command.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

#include "cli/line_editor.h"
#include "cli/module_root_option.h"
#include "cli/repl_input.h"
#include "cli/signal_watch.h"
#include "cli/summary_output.h"
#include "cli/terminal.h"
#include "cli/usage_errors.h"
#include "core/base/did_you_mean.h"
#include "core/base/limits.h"
#include "core/base/module_root.h"
#include "core/base/report.h"
#include "core/base/text_file.h"
#include "core/base/utf8.h"
#include "core/batch/session_server.h"
#include "core/batch/session_worker.h"
#include "core/batch/worker_lock.h"
#include "core/runtime/runtime.h"

namespace krepis::cli {
namespace {

constexpr const char* kHelp =
    R"(Each entry runs under the tenant's heap cap and deadline; its value is printed as
console.log prints it, then a usage line, and `_` holds it for the next entries (until an
entry gives `_` a value of its own). An entry that is not complete yet (an open bracket,
an unterminated template) continues on the next line. `await` works at the top level of
an entry. Errors name the entry: repl:3:1:7 is line 1, column 7 of the third entry.
`await import('./lib.mjs')` imports a module (or a JSON file, with { assert: { type: 'json' } })
from beneath --module-root DIR, as every import of the session does (none without it).

  .help                  this text
  .tenant ID             switch tenant (isolates stay warm; a tenant whose tier grants
                         file ops runs in a worker process of its own)
  .limits [heap=MB] [deadline=MS]
                         show or change this session's limits for the current tenant
  .stats                 the pool's figures and this isolate's heap
  .load FILE             run a file as one entry (a .mjs file, or any with --module, as
                         an ES module: its default export is the entry's value; it
                         imports from --module-root)
  .save FILE             write this session's entries to FILE, one after another
  .editor                type several lines, then run them as one entry (Ctrl-D runs,
                         Ctrl-C drops them)
  .input FILE|none       the JSON in FILE is `input` for the entries that follow
  .fresh on|off          a new context for every entry (as in a batch), or one kept context
  .reset                 start a new context now
  .json on|off           print each entry's report as the contract's JSON line
  .exit                  leave (as does Ctrl-D)

Ctrl-C cancels the line being typed, or stops the entry that is running.)";

const std::vector<std::string>& command_names() {
  static const std::vector<std::string> kNames = {
      ".help", ".tenant", ".limits", ".stats", ".load", ".save", ".editor",
      ".input", ".fresh", ".reset", ".json", ".exit"};
  return kNames;
}

class ReplSession {
 public:
  ReplSession(const Manifest& manifest, const TenantSpec& tenant, bool json, bool fresh,
              bool module, std::optional<std::filesystem::path> module_root)
      : manifest_(manifest),
        tenant_(tenant),
        worker_(
            [&manifest, module_root](int socket, int control, const TenantSpec* locked_to) {
              const LiveOutput live{&print_log_entry};
              // Entries import from beneath --module-root, which the worker may then read.
              ConfinementPolicy policy = worker_policy(manifest, std::nullopt, locked_to);
              if (module_root) policy.paths.push_back({std::filesystem::absolute(*module_root)});
              return serve_session(socket, control, manifest, std::move(policy), &live);
            },
            !fresh, &needs_own_worker),
        json_(json),
        fresh_(fresh),
        module_(module),
        module_root_(std::move(module_root)) {}

  std::string prompt() const { return tenant_.id + "> "; }
  int worst() const { return worst_; }

  void banner() const {
    print_out("krepis repl: tenant {} (tier {}), heap cap {} MB, deadline {} ms{}\n", tenant_.id,
              tenant_.tier, tenant_.limits.heap_bytes / kMiB, tenant_.limits.deadline.count(),
              fresh_ ? ", a fresh context per entry" : "");
    print_out("Type .help for commands; Ctrl-D leaves.\n");
  }

  // The line editor whose line Ctrl-C cancels when no entry runs; none for piped input.
  void attach(LineEditor* editor) {
    editor_ = editor;
    if (editor_ != nullptr) {
      editor_->set_completer([this](const std::string& word, const std::string& before) {
        return complete(word, before);
      });
    }
  }

  // Tab: dot-commands, or the globals and properties of the session's context, found in
  // the worker without running the script's code (core/runtime/completions.h).
  std::vector<std::string> complete(const std::string& word, const std::string& before) {
    std::vector<std::string> matches;
    if (word.starts_with('.')) {
      // A command only where one can be: alone on its line (`x[0].ed` is no `.editor`).
      if (before.find_first_not_of(" \t") != std::string::npos) return {};
      for (const std::string& name : command_names()) {
        if (name.starts_with(word)) matches.push_back(name);
      }
      return matches;
    }
    std::vector<std::string> path;
    std::size_t start = 0;
    for (std::size_t dot; (dot = word.find('.', start)) != std::string::npos; start = dot + 1) {
      path.push_back(word.substr(start, dot - start));
      if (path.back().empty()) return {};
    }
    const std::string stem = word.substr(0, start);
    for (std::string& name : worker_.completions(tenant_, path, word.substr(start))) {
      matches.push_back(stem + name);
    }
    return matches;
  }

  // Ctrl-C, from the signal watcher: stops the entry that is running, else cancels the line
  // being typed. It is decided under the lock that run_entry holds while it hands an entry
  // to the runtime, so a Ctrl-C between reading an entry and running it is never lost: it
  // cancels a line, and run_entry turns that cancel into an interrupt.
  void on_ctrl_c() {
    std::lock_guard lock(running_mutex_);
    if (running_) {
      worker_.interrupt();
    } else if (editor_ != nullptr) {
      editor_->cancel();
    }
  }

  // Runs what was typed (or loaded: `name` is then the file's) as the next entry.
  void run_entry(const std::string& code, std::optional<std::string> name = std::nullopt) {
    ++entries_run_;
    Job job{tenant_.id, name.value_or(fmt::format("repl:{}", entries_run_)), code, input_json_,
            tenant_.limits.deadline};
    job.input_name = input_name_;
    // Every entry imports from --module-root, the session's one root (its kept context keeps
    // one module graph); a loaded file beneath it at its own path, else from the root
    // itself. Without --module-root, entries import nothing.
    if (name) job.module = is_module_script(*name, module_ || tenant_.modules_by_default);
    if (module_root_) {
      static_cast<void>(set_module_root_of_script(job, name.value_or(""), module_root_));
    }
    job.inspect_result = true;
    job.remember_result = true;
    if (!name) typed_.push_back(code);
    {
      std::lock_guard lock(running_mutex_);
      running_ = true;
      if (editor_ != nullptr && editor_->take_cancel()) worker_.interrupt();
    }
    // The worker prints the entry's console output as it comes (not in JSON mode).
    std::fflush(stdout);
    SessionWorker::Entry entry = worker_.run(tenant_, job, !json_);
    {
      std::lock_guard lock(running_mutex_);
      running_ = false;
      worker_.clear_interrupt();  // a Ctrl-C that came as the entry ended stops nothing
    }
    const RunReport& report = entry.report;
    worst_ = combine_exit_status(worst_, exit_status_for(report.status));
    print(report);
    if (entry.worker_lost) {
      print_out(
          "(the worker process {}; the kept context was lost with it, and the session "
          "goes on in a new one)\n",
          *entry.worker_lost);
    } else if (entry.isolate_lost) {
      print_out("(the isolate {} and was replaced; the session goes on in a new context)\n",
                report.status == RunStatus::kOom ? "passed its heap cap" : "could not be stopped");
    }
    std::fflush(stdout);
  }

  // A dot-command; false when the session should end.
  bool command(const std::string& line) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    std::vector<std::string> args;
    for (std::string arg; words >> arg;) args.push_back(arg);
    if (name == ".exit") return false;
    if (name == ".help") {
      print_out("{}\n", kHelp);
    } else if (name == ".tenant") {
      switch_tenant(args);
    } else if (name == ".limits") {
      limits(args);
    } else if (name == ".stats") {
      stats();
    } else if (name == ".load") {
      load(args);
    } else if (name == ".save") {
      save(args);
    } else if (name == ".input") {
      input(args);
    } else if (name == ".fresh" || name == ".json") {
      toggle(name, args);
    } else if (name == ".reset") {
      worker_.reset_context();
      print_out("a new context: nothing of the earlier entries is left\n");
    } else {
      print_out("unknown command {}{}; .help lists them\n", name,
                did_you_mean(name, command_names()));
    }
    std::fflush(stdout);
    return true;
  }

 private:
  void print(const RunReport& report) const {
    if (json_) {
      print_out("{}\n", json_line(report));
      return;
    }
    const bool tty = colour_on_stdout();
    // The value and the message are the script's: shown, never obeyed by the terminal.
    if (report.status == RunStatus::kOk) {
      print_out("{}\n", visible_lines(
                            report.result_text.value_or(report.result_json.value_or("undefined"))));
    } else {
      std::string message =
          one_line(report.stopped_by != StopReason::kNone && report.status != RunStatus::kError
                       ? fmt::format("{}: {}", to_string(report.status), report.error.value_or(""))
                       : report.error.value_or(std::string(to_string(report.status))));
      print_out("{}{}{}\n", tty ? "\x1b[31m" : "", message, tty ? "\x1b[0m" : "");
      print_error_detail(report, "");
    }
    print_out("{}{} · wall {:.1f} ms · cpu {:.1f} ms · heap {} / {} · {}{}\n", tty ? "\x1b[2m" : "",
              to_string(report.status), report.wall_ms, report.cpu_ms,
              human_bytes(report.heap_peak_bytes), human_bytes(report.heap_cap_bytes),
              report.warm ? "warm" : "cold", tty ? "\x1b[0m" : "");
  }

  void switch_tenant(const std::vector<std::string>& args) {
    if (args.size() != 1) {
      print_out(".tenant takes one tenant id; the manifest defines: {}\n",
                fmt::join(manifest_.tenant_ids(), ", "));
      return;
    }
    const TenantSpec* next = manifest_.find(args[0]);
    if (next == nullptr) {
      print_out("{}\n", unknown_tenant_message(manifest_, args[0]));
      return;
    }
    worker_.release();
    tenant_ = *next;
    print_out("tenant {} (tier {}), heap cap {} MB, deadline {} ms; a new context\n", tenant_.id,
              tenant_.tier, tenant_.limits.heap_bytes / kMiB, tenant_.limits.deadline.count());
  }

  void limits(const std::vector<std::string>& args) {
    TenantSpec changed = tenant_;
    for (const std::string& arg : args) {
      std::size_t equals = arg.find('=');
      std::string key = arg.substr(0, equals);
      std::int64_t value = 0;
      const char* begin = arg.data() + (equals == std::string::npos ? arg.size() : equals + 1);
      auto [end, error] = std::from_chars(begin, arg.data() + arg.size(), value);
      if (equals == std::string::npos || error != std::errc() || end != arg.data() + arg.size()) {
        print_out("'{}': write heap=MB or deadline=MS (e.g. .limits heap=64 deadline=200)\n", arg);
        return;
      }
      std::optional<std::string> problem;
      if (key == "heap") {
        problem = check_heap_mb(value);
        changed.limits.heap_bytes = static_cast<std::size_t>(value) * kMiB;
      } else if (key == "deadline") {
        problem = check_deadline_ms(value);
        changed.limits.deadline = std::chrono::milliseconds(value);
      } else {
        problem = fmt::format("unknown limit '{}': heap or deadline", key);
      }
      if (problem) {
        print_out("{}\n", *problem);
        return;
      }
    }
    if (changed.limits.heap_bytes != tenant_.limits.heap_bytes) {
      worker_.release();  // a heap cap is set when an isolate is made
      print_out("(a new isolate for the new heap cap: a new context)\n");
    }
    tenant_ = changed;
    print_out("heap cap {} MB, deadline {} ms (tenant {}, this session)\n",
              tenant_.limits.heap_bytes / kMiB, tenant_.limits.deadline.count(), tenant_.id);
  }

  void stats() {
    const SessionWorker::Figures figures = worker_.figures();
    const PoolFigures& pool = figures.pool;
    print_out(
        "pool     {} warm hits, {} cold starts, {} evictions, {} idle disposals, {} retirements, "
        "{} replacements; {} isolates alive, {} idle; {} worker processes started\n",
        pool.hits, pool.cold_starts, pool.evictions, pool.idle_disposals, pool.retirements,
        pool.replacements, pool.alive, pool.idle, pool.worker_starts);
    if (const std::optional<IsolateFigures>& heap = figures.isolate) {
      print_out(
          "isolate  heap {} used of {} reserved, cap {}; external {}; {} contexts ({} detached); "
          "{} runs\n",
          human_bytes(heap->used_bytes), human_bytes(heap->total_bytes),
          human_bytes(heap->limit_bytes), human_bytes(heap->external_bytes), heap->contexts,
          heap->detached_contexts, heap->runs);
    } else {
      print_out("isolate  none yet: the next entry takes one from the pool\n");
    }
    print_out("session  tenant {} (tier {}), heap cap {} MB, deadline {} ms, {}\n", tenant_.id,
              tenant_.tier, tenant_.limits.heap_bytes / kMiB, tenant_.limits.deadline.count(),
              fresh_ ? "a fresh context per entry" : "one kept context");
  }

  void load(const std::vector<std::string>& args) {
    if (args.size() != 1) {
      print_out(".load takes one file\n");
      return;
    }
    Result<std::string> file = read_text_file(args[0]);
    if (!file.ok()) {
      print_out("{}\n", file.error().message);
      return;
    }
    run_entry(*file, args[0]);
  }

  void save(const std::vector<std::string>& args) {
    if (args.size() != 1) {
      print_out(".save takes one file\n");
      return;
    }
    std::string text;
    for (const std::string& entry : typed_) text += entry;
    std::ofstream file(args[0], std::ios::binary | std::ios::trunc);
    file << text;
    file.close();
    if (!file) {
      print_out("{}: cannot write it: {}\n", one_line(args[0]), std::strerror(errno));
      return;
    }
    print_out("{} saved to {}\n", counted(typed_.size(), "entry", "entries"), one_line(args[0]));
  }

  void input(const std::vector<std::string>& args) {
    if (args.size() != 1) {
      print_out(".input takes one JSON file, or none; {}\n",
                input_json_ ? "input is " + one_line(input_name_) : "no input is set");
      return;
    }
    if (args[0] == "none") {
      input_json_.reset();
      print_out("no input: `input` keeps its last value in this context, and a new one has none\n");
      return;
    }
    Result<std::string> file = read_json_file(args[0]);
    if (!file.ok()) {
      print_out("{}\n", one_line(file.error().message));
      return;
    }
    input_json_ = std::move(*file);
    input_name_ = "input " + args[0];
    print_out("`input` is {} for the entries that follow\n", one_line(args[0]));
  }

  void toggle(const std::string& name, const std::vector<std::string>& args) {
    if (args.size() != 1 || (args[0] != "on" && args[0] != "off")) {
      print_out("{} takes on or off\n", name);
      return;
    }
    const bool on = args[0] == "on";
    if (name == ".json") {
      json_ = on;
      print_out("json {}\n", on ? "on" : "off");
      return;
    }
    fresh_ = on;
    worker_.keep_context(!fresh_);
    print_out("{}\n", on ? "a fresh context for every entry" : "one context kept across entries");
  }

  const Manifest& manifest_;
  TenantSpec tenant_;
  // The worker process the session's entries run in, with their isolate and kept context.
  SessionWorker worker_;
  bool json_;
  bool fresh_;
  bool module_;
  std::optional<std::filesystem::path> module_root_;
  std::mutex running_mutex_;
  LineEditor* editor_ = nullptr;
  bool running_ = false;  // an entry is handed to the runtime (under running_mutex_)
  int worst_ = 0;
  std::size_t entries_run_ = 0;     // entries are named repl:1, repl:2, ... in errors
  std::vector<std::string> typed_;  // what .save writes: the entries typed, not loaded
  std::optional<std::string> input_json_;  // .input: the JSON every entry gets as `input`
  std::string input_name_ = "input";
};

// Reads entries until the end, from the terminal (with editing and history) or a pipe.
class EntryReader {
 public:
  EntryReader(ReplSession& session, bool interactive)
      : session_(session),
        editor_(interactive ? std::make_unique<LineEditor>(LineEditor::default_history_file())
                            : nullptr) {
    session_.attach(editor_.get());
  }

  // Runs the session; returns when the input ends, .exit, or `stop` is set.
  void loop(const std::atomic<bool>& stop) {
    std::string entry;
    while (!stop.load()) {
      std::string line;
      if (!next_line(entry.empty() ? session_.prompt() : "... ", line, entry)) break;
      if (stop.load()) break;
      if (entry.empty() && line.starts_with(".")) {
        if (editor_) editor_->remember(line);
        if (line.find_first_not_of(" \t", 7) == std::string::npos && line.starts_with(".editor")) {
          if (!editor_mode(stop)) return;
          continue;
        }
        if (!session_.command(line)) return;
        continue;
      }
      entry += line;
      entry += '\n';
      if (is_incomplete(entry)) continue;
      std::string code = entry;
      entry.clear();
      if (code.find_first_not_of(" \t\r\n") == std::string::npos) continue;
      if (editor_) editor_->remember(code.substr(0, code.size() - 1));
      session_.run_entry(code);
    }
    // Input ended in the middle of an entry: run what there is (V8 says what is missing).
    if (!entry.empty() && !stop.load() && !editor_) session_.run_entry(entry);
  }

 private:
  // .editor: lines until Ctrl-D (or the input's end), run as one entry; Ctrl-C drops them.
  // False when the input has ended.
  bool editor_mode(const std::atomic<bool>& stop) {
    if (editor_) print_out("// editor mode: Ctrl-D runs what you typed, Ctrl-C drops it\n");
    std::fflush(stdout);
    std::string code;
    bool more = true;
    for (;;) {
      std::string line;
      if (!editor_) {
        more = static_cast<bool>(std::getline(std::cin, line));
        if (!more) break;
      } else {
        LineEditor::Outcome outcome = editor_->read("... ", line);
        if (outcome == LineEditor::Outcome::kEnd) {
          std::fputs("\n", stdout);
          break;
        }
        if (outcome == LineEditor::Outcome::kCancelled) {
          print_out("(dropped)\n");
          return true;
        }
      }
      if (stop.load()) return false;
      code += line;
      code += '\n';
    }
    if (stop.load()) return false;
    if (code.find_first_not_of(" \t\r\n") != std::string::npos) {
      if (editor_) editor_->remember(code.substr(0, code.size() - 1));
      session_.run_entry(code);
    }
    return more;
  }

  // False at the end of the input.
  bool next_line(const std::string& prompt, std::string& line, std::string& entry) {
    if (!editor_) return static_cast<bool>(std::getline(std::cin, line));
    for (;;) {
      switch (editor_->read(prompt, line)) {
        case LineEditor::Outcome::kLine:
          return true;
        case LineEditor::Outcome::kCancelled:
          entry.clear();
          line.clear();
          return true;
        case LineEditor::Outcome::kEnd:
          std::fputs("\n", stdout);
          return false;
      }
    }
  }

  ReplSession& session_;
  std::unique_ptr<LineEditor> editor_;
};

}  // namespace

void add_repl_command(CLI::App& app, ReplOptions& options) {
  CLI::App* repl =
      app.add_subcommand("repl", "Interactive session on one tenant's warm pool, to test limits");
  repl->add_option("--tenant", options.tenant, "Tenant to start as")
      ->type_name("ID")
      ->capture_default_str();
  add_manifest_options(*repl, options.manifest);
  repl->add_flag("--json", options.json, "Print each entry's report as a JSON line");
  repl->add_flag("--fresh", options.fresh, "A new context for every entry (as in a batch)");
  repl->add_flag("-m,--module", options.module,
                 "Run the .js files .load runs as ES modules (a .mjs file always is one)");
  add_module_root_option(*repl, options.module_root);
  repl->footer(fmt::format(R"({}

History is kept in $XDG_STATE_HOME/krepis/history (~/.local/state/krepis/history).
With input from a pipe, entries are read line by line, no prompt is printed, and the exit
status is the contract's for the worst entry.

Examples:
  krepis repl --tenants tenants.toml --tenant acme
  printf 'for (;;) {{}}\n1 + 1\n' | krepis repl --deadline-ms 50)",
                           kHelp));
}

int repl_command(const ReplOptions& options) {
  std::optional<std::filesystem::path> module_root;
  if (!check_module_root(options.module_root, module_root)) return kUsageError;
  std::optional<Manifest> manifest = load_manifest_for(options.manifest);
  if (!manifest) return kUsageError;
  std::string denial;
  const TenantSpec* tenant = find_tenant(*manifest, options.tenant, denial);
  if (tenant == nullptr) {
    print_error(denial);
    return kUsageError;
  }
  const bool interactive = ::isatty(STDIN_FILENO) == 1;

  // Signals first, so every thread (V8's included) has them blocked. Ctrl-C stops the
  // running entry or cancels the line; SIGTERM (and Ctrl-C on piped input) ends the session.
  std::atomic<bool> stop = false;
  std::atomic<ReplSession*> session_for_signals = nullptr;
  SignalWatch signals(
      [&](int signal) {
        if (signal == SIGTERM || !interactive) stop = true;
        if (ReplSession* session = session_for_signals.load()) session->on_ctrl_c();
      },
      false);

  say_confinement_shortfall();
  // Entries run in a worker process with the same runtime as a batch's (memory watch, heap
  // rules, confinement): an entry it cannot contain ends that worker, not the session.
  int status = 0;
  {
    ReplSession session(*manifest, *tenant, options.json, options.fresh, options.module,
                        module_root);
    EntryReader reader(session, interactive);
    session_for_signals = &session;
    if (interactive) session.banner();
    reader.loop(stop);
    signals.stop_callbacks();
    session_for_signals = nullptr;
    status = session.worst();
  }
  if (signals.received() != 0 && stop.load()) return 128 + signals.received();
  return interactive ? 0 : status;
}

}  // namespace krepis::cli

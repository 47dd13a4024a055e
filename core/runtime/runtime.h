// The runtime of one process that runs tenant code: its engine, watchdog, warm pool, pool
// sweeper and memory watch, and the rules a run that cannot be contained ends by (its last
// words). `krepis run` with one script, every batch worker process and the REPL each make
// exactly one, and reach V8 only through it: this header includes none of V8's.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/job.h"
#include "core/base/manifest.h"
#include "core/base/pool_figures.h"
#include "core/base/run_output.h"
#include "core/base/run_report.h"
#include "core/runtime/confinement.h"
#include "core/runtime/last_words.h"

namespace krepis {

class Engine;

struct RuntimeOptions {
  // Must end the process (see LastWords); called from any of the runtime's threads.
  LastWords last_words;
  // A runtime for one script starts no pool sweeper thread: the process ends after the run.
  bool long_lived = true;
  // In a worker process a run past its heap headroom ends the process (with last words)
  // instead of being granted more, so memory stays near the cap. Off only in tests that
  // host V8 in the test process itself.
  bool worker_process = true;
  // The process confines itself (confinement.h): before V8 starts, it gives up privileges
  // and every file but those of the policy; once V8 is up, every system call but those of
  // the allow-list. For processes that do nothing but run jobs (batch workers, a lone
  // `krepis run`, the REPL's worker), made before their second thread.
  std::optional<ConfinementPolicy> confine = {};
};

// One isolate's heap as the REPL's .stats shows it.
struct IsolateFigures {
  std::size_t used_bytes = 0, total_bytes = 0, limit_bytes = 0, external_bytes = 0;
  std::size_t contexts = 0, detached_contexts = 0;
  std::size_t runs = 0;
};

class Runtime {
 public:
  // Starts V8 in this process: one Runtime per process.
  Runtime(const Manifest& manifest, RuntimeOptions options);
  // On an engine the caller owns (the unit tests', whose process already runs V8).
  Runtime(Engine& engine, const Manifest& manifest, RuntimeOptions options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Runs the job on a warm isolate of its tenant, in a fresh context, under the memory
  // watch; `live`, when given, sees each console entry as it is logged. A job that names its
  // files has them read first (denied when they cannot be, or are over the tier's limits).
  // A tenant the manifest lacks is denied; an isolate that cannot be made is `crashed`.
  RunReport run(const Job& job, const LiveOutput* live = nullptr);

  // The pool's figures so far.
  PoolFigures figures();

  // "10.2.154.26-node.xx": the V8 krepis runs on (needs no runtime).
  static const char* engine_version();
  // What the kernel cannot enforce of the confinement, for the operator; nothing when all.
  static std::optional<std::string> confinement_shortfall();

  // A REPL's hold on one tenant's isolate: entries share one kept context (or get a fresh
  // one each), on an isolate leased from the pool until release() or a change of tenant.
  // Used from one thread, except interrupt(), which any thread may call.
  class Session {
   public:
    Session(Runtime& runtime, bool keep_context);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    struct Entry {
      RunReport report;
      // The isolate passed its heap cap or could not be stopped: it was replaced, and the
      // kept context went with it.
      bool isolate_lost = false;
    };
    // Runs the job as the tenant's next entry; the first entry leases an isolate.
    Entry run(const TenantSpec& tenant, const Job& job, const LiveOutput* live);

    // Stops the entry in progress, or the next one if none has begun; from any thread.
    void interrupt() noexcept;
    // Drops an interrupt that came too late for the entry it was meant for.
    void clear_interrupt() noexcept;

    // One kept context (true) or a fresh one per entry (false).
    void keep_context(bool keep);
    // Drops the kept context: the next entry starts a new one.
    void reset_context();
    // Gives the isolate back to the pool (warm), without the session's context.
    void release();

    // The REPL's Tab: names in the session's context (completions.h). With no context yet,
    // an empty entry makes one first (and, when contexts are not kept, it is dropped after).
    std::vector<std::string> completions(const TenantSpec& tenant,
                                         const std::vector<std::string>& path,
                                         std::string_view prefix);

    // The leased isolate's figures; nothing before the first entry or after release().
    std::optional<IsolateFigures> isolate_figures();

   private:
    struct State;
    std::unique_ptr<State> state_;
  };

 private:
  struct Parts;
  const Manifest& manifest_;
  // Declared before parts_: the engine outlives every isolate.
  std::unique_ptr<Engine> owned_engine_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace krepis

// The fields of a run report and of a pool's figures, declared once. The structs themselves
// (RunReport, PoolFigures) are made from these lists, and so is every form a report takes:
// the JSON line and the parser `krepis summarize` reads it with (report.cc), the worker wire
// (worker_wire.cc), a batch summary's "pool" object (batch_summary.cc), and the field table
// in docs/CLI.md, which a test compares with them. A new field is one line here and its test.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace krepis {

struct ReportField {
  // Where the field appears.
  enum class Shown {
    kAlways,    // in every JSON line
    kWhenSet,   // in a JSON line when it has a value: an optional that is set, a list that
                // is not empty, a stop reason other than none
    kWireOnly,  // only between a worker process and its parent (and the REPL)
  };
  // How its value is written, where the member's type alone does not say.
  enum class Coding {
    kPlain,     // a string, number, bool, list of strings, or a status or stop reason by name
    kWarmCold,  // a bool written "warm" (true) or "cold"
    kRawJson,   // JSON text as V8 wrote it, spliced into the line as it is (the last field)
  };
  std::string_view name;  // in the JSON line and on the wire
  std::string_view type;  // as docs/CLI.md gives it
  Shown shown = Shown::kAlways;
  Coding coding = Coding::kPlain;
};

// A run report, in the JSON line's order: FIELD(C++ type, member, name, type in the docs,
// Shown, Coding).
//   stopped_by   the guard that stopped the run; the contract has it for timeout and oom
//                only, so json_line leaves it out of an error's line (an interrupt)
//   warm         the isolate was warm (reused) rather than made for this run
//   result_from  a module's: "default export", or "module evaluation" when it exports no
//                default (its result is then undefined, once its top-level await is done)
//   result_type  the completion value's kind ("undefined", "map", ...; result_json.h)
//   result_json  the completion value as JSON text, nothing lost silently (result_json.h);
//                absent on failure
//   result_text  the result as console.log shows it, only when the job asked
//                (Job::inspect_result): the REPL prints it
//   error_source the source line an uncaught error was thrown at, and under it a line with
//                a caret at the place
//   stack        the uncaught error's frames ("    at f (x.js:2:9)" lines), capped
//   causes       its `cause`, that one's cause, and so on, each "Name: message"
//   hint         for the operator, when an error comes from an op the tier does not grant
//   output       what the script logged, capped; a final line says so when lines dropped
//   output_levels  the console level of each output entry: log, info, warn, error, debug
//   output_truncated  true when the tier's output cap dropped entries (absent otherwise)
#define KREPIS_REPORT_FIELDS(FIELD)                                                        \
  FIELD(std::string, tenant, "tenant", "string", kAlways, kPlain)                          \
  FIELD(std::string, script, "script", "string", kAlways, kPlain)                          \
  FIELD(RunStatus, status, "status", "status", kAlways, kPlain)                            \
  FIELD(double, wall_ms, "wall_ms", "number", kAlways, kPlain)                             \
  FIELD(double, cpu_ms, "cpu_ms", "number", kAlways, kPlain)                               \
  FIELD(std::size_t, heap_used_bytes, "heap_used_bytes", "integer", kAlways, kPlain)       \
  FIELD(std::size_t, heap_peak_bytes, "heap_peak_bytes", "integer", kAlways, kPlain)       \
  FIELD(std::size_t, heap_cap_bytes, "heap_cap_bytes", "integer", kAlways, kPlain)         \
  FIELD(std::size_t, external_bytes, "external_bytes", "integer", kAlways, kPlain)         \
  FIELD(bool, warm, "isolate", "\"warm\" or \"cold\"", kAlways, kWarmCold)                 \
  FIELD(std::optional<std::string>, error, "error", "string", kWhenSet, kPlain)            \
  FIELD(StopReason, stopped_by, "stopped_by", "stop reason", kWhenSet, kPlain)             \
  FIELD(std::optional<std::string>, error_source, "error_source", "string", kWhenSet, kPlain) \
  FIELD(std::optional<std::string>, stack, "stack", "string", kWhenSet, kPlain)            \
  FIELD(std::vector<std::string>, causes, "causes", "array of strings", kWhenSet, kPlain)  \
  FIELD(std::optional<std::string>, hint, "hint", "string", kWhenSet, kPlain)              \
  FIELD(std::vector<std::string>, output, "output", "array of strings", kWhenSet, kPlain)  \
  FIELD(std::vector<std::string>, output_levels, "output_levels", "array of strings", kWhenSet, \
        kPlain)                                                                            \
  FIELD(bool, output_truncated, "output_truncated", "true", kWhenSet, kPlain)              \
  FIELD(std::optional<std::string>, result_from, "result_from", "string", kWhenSet, kPlain) \
  FIELD(std::optional<std::string>, result_type, "result_type", "string", kWhenSet, kPlain) \
  FIELD(std::optional<std::string>, result_json, "result", "any JSON", kWhenSet, kRawJson) \
  FIELD(std::optional<std::string>, result_text, "result_text", "string", kWireOnly, kPlain)

// A pool's figures, all counts: FIELD(member, name, Shown). kAlways ones appear in a batch
// summary's "pool" object; kWireOnly ones only in a worker's replies and the REPL's .stats.
//   hits            runs that found a warm instance of their tenant
//   cold_starts     instances created for a run ("misses")
//   evictions       idle instances dropped to make room (global cap)
//   idle_disposals  idle instances dropped after idle_timeout
//   retirements     dropped after max_runs_per_isolate, a leak, new limits
//   replacements    dropped as unhealthy: cap hit, crashed, not stoppable
//   alive           instances held now, idle or in use
//   idle            of which idle
//   waiting         runs waiting now for their tenant or the pool to make room
//   settled         idle instances settled (GC'd to give memory back)
#define KREPIS_POOL_FIGURES(FIELD)                 \
  FIELD(hits, "hits", kAlways)                     \
  FIELD(cold_starts, "misses", kAlways)            \
  FIELD(evictions, "evictions", kAlways)           \
  FIELD(idle_disposals, "idle_disposals", kAlways) \
  FIELD(retirements, "retirements", kAlways)       \
  FIELD(replacements, "replacements", kAlways)     \
  FIELD(worker_starts, "worker_starts", kAlways)   \
  FIELD(alive, "alive", kAlways)                   \
  FIELD(idle, "idle", kWireOnly)                   \
  FIELD(waiting, "waiting", kWireOnly)             \
  FIELD(settled, "settled", kWireOnly)

// Calls visit(field, member) for each field of a report, in the JSON line's order. `Report`
// is RunReport or const RunReport.
template <class Report, class Visit>
void visit_report_fields(Report& report, Visit&& visit) {
#define KREPIS_VISIT(type, member, name, doc_type, shown, coding)                            \
  visit(ReportField{name, doc_type, ReportField::Shown::shown, ReportField::Coding::coding}, \
        report.member);
  KREPIS_REPORT_FIELDS(KREPIS_VISIT)
#undef KREPIS_VISIT
}

// The same for a pool's figures (PoolFigures or const PoolFigures).
template <class Figures, class Visit>
void visit_pool_figures(Figures& figures, Visit&& visit) {
#define KREPIS_VISIT(member, name, shown) \
  visit(ReportField{name, "integer", ReportField::Shown::shown}, figures.member);
  KREPIS_POOL_FIGURES(KREPIS_VISIT)
#undef KREPIS_VISIT
}

}  // namespace krepis

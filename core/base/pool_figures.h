// What a pool of warm isolates did and holds: reported with every run (through a worker's
// replies) and in a batch's summary.
#pragma once

#include <cstddef>

namespace krepis {

struct PoolFigures {
  std::size_t hits = 0;            // runs that found a warm instance of their tenant
  std::size_t cold_starts = 0;     // instances created for a run
  std::size_t evictions = 0;       // idle instances dropped to make room (global cap)
  std::size_t idle_disposals = 0;  // idle instances dropped after idle_timeout
  std::size_t retirements = 0;     // dropped after max_runs_per_isolate, a leak, new limits
  std::size_t replacements = 0;    // dropped as unhealthy: cap hit, crashed, not stoppable
  std::size_t alive = 0;           // instances held now, idle or in use
  std::size_t idle = 0;            // of which idle
  std::size_t waiting = 0;         // runs waiting now for their tenant or the pool to make room
  std::size_t settled = 0;         // idle instances settled (GC'd to give memory back)
};

// Adds another pool's figures (a batch's worker processes each have one): the counts add up,
// and so do the instances each holds now.
inline PoolFigures& operator+=(PoolFigures& sum, const PoolFigures& more) {
  sum.hits += more.hits;
  sum.cold_starts += more.cold_starts;
  sum.evictions += more.evictions;
  sum.idle_disposals += more.idle_disposals;
  sum.retirements += more.retirements;
  sum.replacements += more.replacements;
  sum.alive += more.alive;
  sum.idle += more.idle;
  sum.waiting += more.waiting;
  sum.settled += more.settled;
  return sum;
}

}  // namespace krepis

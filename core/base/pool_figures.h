// What a pool of warm isolates did and holds: reported with every run (through a worker's
// replies) and in a batch's summary. The fields are report_schema.h's.
#pragma once

#include <cstddef>

#include "core/base/report_schema.h"

namespace krepis {

struct PoolFigures {
#define KREPIS_MEMBER(member, ...) std::size_t member = 0;
  KREPIS_POOL_FIGURES(KREPIS_MEMBER)
#undef KREPIS_MEMBER
};

// Adds another pool's figures (a batch's worker processes each have one): the counts add up,
// and so do the instances each holds now.
inline PoolFigures& operator+=(PoolFigures& sum, const PoolFigures& more) {
#define KREPIS_ADD(member, ...) sum.member += more.member;
  KREPIS_POOL_FIGURES(KREPIS_ADD)
#undef KREPIS_ADD
  return sum;
}

// Adds the figures of a pool that is gone (its worker process ended): what it counted stays
// counted, and it holds no instances any more.
inline PoolFigures& add_ended(PoolFigures& sum, PoolFigures ended) {
  ended.alive = ended.idle = ended.waiting = 0;
  return sum += ended;
}

}  // namespace krepis

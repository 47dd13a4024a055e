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

}  // namespace krepis

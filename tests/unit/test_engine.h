#pragma once

#include "core/engine/engine.h"

namespace krepis::test {
// The process's engine, created by the test main.
Engine& engine();
}  // namespace krepis::test

// The unit tests' main: one V8 engine for the whole process (V8 initialises once).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "core/engine/engine.h"
#include "unit/test_engine.h"

namespace krepis::test {
namespace {
Engine* the_engine = nullptr;
}
Engine& engine() { return *the_engine; }
}  // namespace krepis::test

int main(int argc, char** argv) {
  krepis::Engine engine;
  krepis::test::the_engine = &engine;
  doctest::Context context(argc, argv);
  return context.run();
}

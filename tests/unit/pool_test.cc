// The pool's policy with a fake instance and an injected clock: nothing here sleeps. Where a
// run must wait, the test waits for the pool to say it is waiting, never for time to pass.
#include "core/runtime/pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace krepis {
namespace {

using std::chrono::milliseconds;
using Time = std::chrono::steady_clock::time_point;

// Stands in for a sandbox: what the pool reads of it, set by the test.
struct FakeInstance {
  int serial = 0;
  std::string tenant;
  std::size_t cap = 128 * kMiB;
  bool healthy = true;
  std::size_t runs = 0;
  std::size_t retained = 0;
  bool reusable() const { return healthy; }
  std::size_t runs_done() const { return runs; }
  std::size_t retained_bytes() const { return retained; }
  std::size_t heap_cap_bytes() const { return cap; }
  int settles = 0;
  void settle() { ++settles; }
};

using FakePool = BasicPool<FakeInstance>;

TenantSpec tenant(const std::string& id, std::size_t max_isolates = 4) {
  TenantSpec spec;
  spec.id = id;
  spec.max_isolates = max_isolates;
  return spec;
}

struct Fixture {
  Time now{};
  int created = 0;
  std::vector<std::string> disposed_tenants;
  PoolSettings settings;

  std::unique_ptr<FakePool> make_pool() {
    return std::make_unique<FakePool>(
        settings,
        [this](const TenantSpec& spec) {
          auto instance = std::make_unique<FakeInstance>();
          instance->serial = ++created;
          instance->tenant = spec.id;
          instance->cap = spec.limits.heap_bytes;
          return instance;
        },
        [this] { return now; });
  }
};

// Runs one "run" on a lease: counts it, as a sandbox does.
int use(FakePool& pool, const TenantSpec& spec, bool* cold = nullptr) {
  FakePool::Lease lease = pool.acquire(spec);
  ++lease->runs;
  if (cold != nullptr) *cold = lease.cold();
  return lease->serial;
}

TEST_CASE_FIXTURE(Fixture, "a tenant's runs reuse its warm instance, tenants never share") {
  auto pool = make_pool();
  bool cold = false;
  int a1 = use(*pool, tenant("a"), &cold);
  CHECK(cold);
  int b1 = use(*pool, tenant("b"), &cold);
  CHECK(cold);
  CHECK(b1 != a1);
  CHECK(use(*pool, tenant("a"), &cold) == a1);
  CHECK_FALSE(cold);
  CHECK(use(*pool, tenant("b"), &cold) == b1);
  PoolFigures figures = pool->figures();
  CHECK(figures.cold_starts == 2);
  CHECK(figures.hits == 2);
  CHECK(figures.alive == 2);
  CHECK(figures.idle == 2);
}

TEST_CASE_FIXTURE(Fixture, "at the global cap the least recently used idle instance is evicted") {
  settings.max_isolates = 2;
  auto pool = make_pool();
  int a = use(*pool, tenant("a"));
  now += milliseconds(1);
  int b = use(*pool, tenant("b"));
  now += milliseconds(1);
  CHECK(use(*pool, tenant("a")) == a);  // a is now more recent than b
  now += milliseconds(1);
  use(*pool, tenant("c"));  // evicts b, the least recently used
  CHECK(pool->figures().evictions == 1);
  CHECK(use(*pool, tenant("a")) == a);
  bool cold = false;
  CHECK(use(*pool, tenant("b"), &cold) != b);
  CHECK(cold);
  CHECK(pool->figures().alive == 2);
}

TEST_CASE_FIXTURE(Fixture, "concurrent runs grow a tenant up to its own cap, then wait") {
  auto pool = make_pool();
  const TenantSpec spec = tenant("a", 2);
  FakePool::Lease first = pool->acquire(spec);
  FakePool::Lease second = pool->acquire(spec);
  CHECK(first.cold());
  CHECK(second.cold());
  CHECK(first->serial != second->serial);

  std::atomic<int> third_serial = 0;
  std::thread third([&] { third_serial = use(*pool, spec); });
  while (pool->figures().waiting == 0) std::this_thread::yield();
  CHECK(third_serial == 0);  // still waiting: the tenant holds two, both in use
  int released = first->serial;
  { FakePool::Lease done = std::move(first); }
  third.join();
  CHECK(third_serial == released);  // it got the released one, warm
  CHECK(pool->figures().cold_starts == 2);
}

TEST_CASE_FIXTURE(Fixture, "at the global cap with every instance in use, a run waits") {
  settings.max_isolates = 1;
  auto pool = make_pool();
  std::optional<FakePool::Lease> a(pool->acquire(tenant("a")));
  std::atomic<bool> b_ran = false;
  std::thread b([&] {
    use(*pool, tenant("b"));
    b_ran = true;
  });
  while (pool->figures().waiting == 0) std::this_thread::yield();
  CHECK_FALSE(b_ran);
  a.reset();  // a goes idle; b evicts it
  b.join();
  CHECK(b_ran);
  CHECK(pool->figures().evictions == 1);
  CHECK(pool->figures().alive == 1);
}

TEST_CASE_FIXTURE(Fixture, "idle instances go after idle_timeout, one in use never does") {
  settings.idle_timeout = milliseconds(1000);
  auto pool = make_pool();
  use(*pool, tenant("a"));
  FakePool::Lease busy = pool->acquire(tenant("b"));
  now += milliseconds(999);
  pool->sweep();
  CHECK(pool->figures().alive == 2);
  now += milliseconds(1);
  pool->sweep();
  CHECK(pool->figures().idle_disposals == 1);
  CHECK(pool->figures().alive == 1);  // b's, in use through the whole wait
  now += milliseconds(5000);
  pool->sweep();
  CHECK(pool->figures().alive == 1);
  CHECK(busy.cold());
}

TEST_CASE_FIXTURE(Fixture, "an instance idle for settle_after is settled once, and stays warm") {
  settings.settle_after = milliseconds(500);
  settings.idle_timeout = milliseconds(10'000);
  auto pool = make_pool();
  int first = use(*pool, tenant("a"));
  now += milliseconds(499);
  pool->sweep();
  CHECK(pool->figures().settled == 0);
  now += milliseconds(1);
  pool->sweep();
  pool->sweep();
  CHECK(pool->figures().settled == 1);  // once, not at every sweep
  FakePool::Lease lease = pool->acquire(tenant("a"));
  CHECK(lease->serial == first);  // still the warm one
  CHECK(lease->settles == 1);
  CHECK_FALSE(lease.cold());
}

TEST_CASE_FIXTURE(Fixture, "an instance is retired after max_runs_per_isolate runs") {
  settings.max_runs_per_isolate = 3;
  auto pool = make_pool();
  int first = use(*pool, tenant("a"));
  CHECK(use(*pool, tenant("a")) == first);
  CHECK(use(*pool, tenant("a")) == first);  // its third run: retired on release
  CHECK(pool->figures().retirements == 1);
  CHECK(use(*pool, tenant("a")) != first);
}

TEST_CASE_FIXTURE(Fixture, "the leak guard retires an instance that retains memory across runs") {
  auto pool = make_pool();
  int first = 0;
  {
    FakePool::Lease lease = pool->acquire(tenant("a"));
    first = lease->serial;
    lease->retained = 0;  // nothing kept past its margin: kept
  }
  {
    FakePool::Lease lease = pool->acquire(tenant("a"));
    CHECK(lease->serial == first);
    lease->retained = kMiB;  // kept memory (the instance measures it against its margin)
  }
  CHECK(pool->figures().retirements == 1);
  CHECK(use(*pool, tenant("a")) != first);
}

TEST_CASE_FIXTURE(Fixture, "an unhealthy instance is replaced, never reused") {
  auto pool = make_pool();
  int first = 0;
  {
    FakePool::Lease lease = pool->acquire(tenant("a"));
    first = lease->serial;
    lease->healthy = false;  // hit its cap, or its termination never landed
  }
  PoolFigures figures = pool->figures();
  CHECK(figures.replacements == 1);
  CHECK(figures.alive == 0);
  bool cold = false;
  CHECK(use(*pool, tenant("a"), &cold) != first);
  CHECK(cold);
}

TEST_CASE_FIXTURE(Fixture, "an idle instance made for other limits is not reused") {
  auto pool = make_pool();
  TenantSpec spec = tenant("a");
  int first = use(*pool, spec);
  spec.limits.heap_bytes = 64 * kMiB;  // a REPL's `.limits heap=64`
  CHECK(use(*pool, spec) != first);
  CHECK(pool->figures().retirements == 1);
  CHECK(pool->figures().alive == 1);
}

TEST_CASE_FIXTURE(Fixture, "a factory that throws gives its place back") {
  settings.max_isolates = 1;
  FakePool pool(
      settings,
      [](const TenantSpec&) -> std::unique_ptr<FakeInstance> {
        throw std::runtime_error("no memory for an isolate");
      },
      [this] { return now; });
  CHECK_THROWS_AS(pool.acquire(tenant("a")), std::runtime_error);
  CHECK_THROWS_AS(pool.acquire(tenant("a")), std::runtime_error);  // not waiting for a place
  CHECK(pool.figures().alive == 0);
  CHECK(pool.figures().cold_starts == 0);
}

}  // namespace
}  // namespace krepis

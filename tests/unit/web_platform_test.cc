// The web platform's classes and crypto in a run, on the real V8: DOMException, Event,
// EventTarget, AbortController, AbortSignal (core/ops/js/web_events.js) and crypto
// (libcrypto). Each behaviour the standards define that scripts rely on is checked here;
// tests/differential compares the encoders and URL with node's.
#include <doctest/doctest.h>

#include <string>

#include "core/runtime/sandbox.h"
#include "unit/ok_result.h"
#include "unit/test_engine.h"

namespace krepis {
namespace {

using std::chrono::milliseconds;

struct WebFixture {
  Watchdog watchdog;
  Sandbox sandbox{test::engine(), watchdog, SandboxConfig{}};

  RunReport run(const std::string& code, milliseconds deadline = milliseconds(20000)) {
    return sandbox.run(Job{"acme", "web.js", code, std::nullopt, deadline});
  }
  std::string result(const std::string& code) { return test::ok_result(run(code), code); }
};

TEST_CASE_FIXTURE(WebFixture, "DOMException is an Error with a name, a message and a legacy code") {
  CHECK(result(R"(
    const e = new DOMException('gone', 'AbortError');
    const plain = new DOMException();
    [e instanceof DOMException, e instanceof Error, e.name, e.message, e.code,
     DOMException.ABORT_ERR, e.ABORT_ERR, String(e), e.stack.split('\n')[0],
     plain.name, plain.message, plain.code, new DOMException('x', 'Unknown').code,
     Object.prototype.toString.call(e)]
  )") == R"([true,true,"AbortError","gone",20,20,20,"AbortError: gone","AbortError: gone",)"
         R"("Error","",0,0,"[object DOMException]"])");
  // The host's own errors are DOMExceptions too.
  CHECK(result(R"(
    const names = [];
    try { atob('*') } catch (e) { names.push(e instanceof DOMException && e.name) }
    try { structuredClone(Symbol()) } catch (e) { names.push(e instanceof DOMException && e.name) }
    names
  )") == R"(["InvalidCharacterError","DataCloneError"])");
  // Uncaught, it reads as an error does; as a result, as one too.
  RunReport thrown = run("throw new DOMException('m', 'TimeoutError')");
  CHECK(thrown.error.value_or("") == "web.js:1:1: Uncaught TimeoutError: m");
  RunReport returned = run("new DOMException('m', 'TimeoutError')");
  CHECK(returned.result_type == std::optional<std::string>("error"));
  CHECK(returned.result_json == std::optional<std::string>(R"("TimeoutError: m")"));
}

TEST_CASE_FIXTURE(WebFixture, "EventTarget dispatches to its listeners as the DOM standard says") {
  CHECK(result(R"(
    const t = new EventTarget();
    const log = [];
    const once = () => log.push('once');
    t.addEventListener('x', once, { once: true });
    t.addEventListener('x', once);  // a duplicate of (type, callback, capture): ignored
    t.addEventListener('x', { handleEvent(e) { log.push(['object', e.target === t, e.currentTarget === t, e.eventPhase, this !== t]); } });
    t.addEventListener('x', function (e) { log.push(['this', this === t]); e.preventDefault(); });
    t.addEventListener('y', (e) => { log.push('y1'); e.stopImmediatePropagation(); });
    t.addEventListener('y', () => log.push('y2'));
    const ev = new Event('x', { cancelable: true });
    const notCanceled = t.dispatchEvent(ev);
    t.dispatchEvent(new Event('x'));
    t.dispatchEvent(new Event('y'));
    [log, notCanceled, ev.defaultPrevented, ev.eventPhase, ev.currentTarget, ev.target === t,
     ev.isTrusted, typeof ev.timeStamp, Event.AT_TARGET]
  )") == R"([["once",["object",true,true,2,true],["this",true],["object",true,true,2,true],)"
         R"(["this",true],"y1"],false,true,0,null,true,false,"number",2])");
  // Stopped before dispatch: no listener runs (and the flags are reset after it). A
  // listener added with a signal leaves on abort even if the abort's listeners stop it.
  CHECK(result(R"(
    const t = new EventTarget();
    const log = [];
    t.addEventListener('x', () => log.push('ran'));
    const e = new Event('x');
    e.stopPropagation();
    t.dispatchEvent(e);
    const c = new AbortController();
    c.signal.addEventListener('abort', (ev) => ev.stopImmediatePropagation());
    t.addEventListener('y', () => log.push('y ran'), { signal: c.signal });
    c.abort();
    t.dispatchEvent(new Event('y'));
    [log, e.cancelBubble, new DOMException('m', 'constructor').code, new DOMException('m', 'toString').code]
  )") == R"([[],false,0,0])");
  CHECK(result(R"(
    const t = new EventTarget();
    const log = [];
    const ev = new Event('p', { cancelable: true });
    t.addEventListener('p', (e) => { e.preventDefault(); log.push(e.defaultPrevented); }, { passive: true });
    t.addEventListener('p', (e) => { try { t.dispatchEvent(e) } catch (err) { log.push(err.name) } });
    t.dispatchEvent(ev);
    const errors = [];
    for (const bad of [() => t.dispatchEvent({}), () => Event.prototype.preventDefault.call({}),
                       () => new Event(), () => EventTarget.prototype.addEventListener.call({}, 'x', () => {})]) {
      try { bad(); errors.push('none') } catch (e) { errors.push(e.name) }
    }
    [log, errors]
  )") == R"([[false,"InvalidStateError"],["TypeError","TypeError","TypeError","TypeError"]])");
  // A throw in a listener: the next listeners still run, then the run fails with it.
  RunReport thrown = run(R"(
    const t = new EventTarget();
    t.addEventListener('x', () => { throw new Error('in listener') });
    t.addEventListener('x', () => console.log('second ran'));
    t.dispatchEvent(new Event('x'));
  )");
  CHECK(thrown.status == RunStatus::kError);
  CHECK(thrown.error.value_or("").find("Error: in listener") != std::string::npos);
  CHECK(thrown.output == std::vector<std::string>{"second ran"});
}

TEST_CASE_FIXTURE(
    WebFixture,
    "AbortController and AbortSignal: abort, reasons, any, timeout on the run's timers") {
  CHECK(result(R"(
    const c = new AbortController();
    const log = [];
    c.signal.onabort = (e) => log.push(['onabort', e.type]);
    c.signal.addEventListener('abort', () => log.push('listener'));
    const t = new EventTarget();
    t.addEventListener('x', () => log.push('removed by signal'), { signal: c.signal });
    const any = AbortSignal.any([new AbortController().signal, c.signal]);
    c.abort();
    c.abort('twice');  // no second event, the first reason stays
    t.dispatchEvent(new Event('x'));
    let thrown;
    try { c.signal.throwIfAborted() } catch (e) { thrown = e.name }
    const custom = AbortSignal.abort('why');
    [log, c.signal.aborted, c.signal.reason.name, c.signal.reason.message, thrown,
     any.aborted, any.reason === c.signal.reason, custom.reason,
     AbortSignal.abort().reason.name]
  )") == R"([[["onabort","abort"],"listener"],true,"AbortError","This operation was aborted",)"
         R"("AbortError",true,true,"why","AbortError"])");
  CHECK(result("try { new AbortSignal(); 'made' } catch (e) { e.name }") == R"("TypeError")");
  // AbortSignal.timeout fires on the run's timers, while the run awaits...
  CHECK(result(R"(
    const s = AbortSignal.timeout(1);
    new Promise((resolve) => s.addEventListener('abort', () => resolve([s.reason.name, s.reason.code])))
  )") == R"(["TimeoutError",23])");
  // ...but does not keep a run that awaits nothing alive (as in Node): this one ends at
  // once, far from its deadline.
  RunReport alone = run("AbortSignal.timeout(600000); 'done'", milliseconds(20000));
  CHECK(alone.status == RunStatus::kOk);
  CHECK(alone.wall_ms < 10000);
}

TEST_CASE_FIXTURE(WebFixture,
                  "crypto: getRandomValues, randomUUID, subtle.digest through libcrypto") {
  CHECK(
      result(R"(
    const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
    const abc = new TextEncoder().encode('abc');
    (async () => [
      hex(await crypto.subtle.digest('SHA-1', abc)),
      hex(await crypto.subtle.digest('sha-256', abc)),
      hex(await crypto.subtle.digest({ name: 'SHA-384' }, abc.buffer)),
      hex(await crypto.subtle.digest('SHA-512', new DataView(abc.buffer))).slice(0, 16),
      hex(await crypto.subtle.digest('SHA-256', new Uint8Array(0))),
    ])()
  )") ==
      R"(["a9993e364706816aba3e25717850c26c9cd0d89d",)"
      R"("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",)"
      R"("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",)"
      R"("ddaf35a193617aba","e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"])");
  CHECK(result(R"(
    (async () => {
      const reasons = [];
      for (const [algorithm, data] of [['MD5', new Uint8Array(1)], ['SHA-256', 'text'], [42, new Uint8Array(1)]]) {
        await crypto.subtle.digest(algorithm, data).then(() => reasons.push('resolved'), (e) => reasons.push(e.name));
      }
      return reasons;
    })()
  )") == R"(["NotSupportedError","TypeError","TypeError"])");
  CHECK(
      result(R"(
    const uuids = new Set(Array.from({ length: 100 }, () => crypto.randomUUID()));
    const shape = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const a = new Uint32Array(64);
    const same = crypto.getRandomValues(a) === a;
    const errors = [];
    for (const bad of [new Float32Array(1), new DataView(new ArrayBuffer(1)), [1, 2], new Uint8Array(65537)]) {
      try { crypto.getRandomValues(bad); errors.push('none') } catch (e) { errors.push(e.name) }
    }
    [uuids.size, [...uuids].every((u) => shape.test(u)), same, a.some((x) => x !== 0),
     crypto.getRandomValues(new BigUint64Array(2)).length, crypto.getRandomValues(new Uint8Array(65536)).length, errors]
  )") ==
      R"([100,true,true,true,2,65536,["TypeMismatchError","TypeMismatchError","TypeError","QuotaExceededError"]])");
}

TEST_CASE("one long digest is stopped by the deadline between its chunks") {
  // 1 GiB of zeros (untouched pages: no memory) takes SHA-512 well over a second; checked
  // between 1 MiB chunks, the run ends near its 50 ms deadline, twenty times sooner.
  Watchdog watchdog;
  SandboxConfig config;
  config.heap_cap_bytes = 2048 * kMiB;
  Sandbox sandbox(test::engine(), watchdog, std::move(config));
  RunReport report = sandbox.run(Job{"acme", "digest.js",
                                     "crypto.subtle.digest('SHA-512', new Uint8Array(1 << 30))",
                                     std::nullopt, milliseconds(50)});
  CHECK(report.status == RunStatus::kTimeout);
  CHECK(report.wall_ms < 1000);
}

TEST_CASE_FIXTURE(WebFixture, "bytes kept on V8's heap are read and written within the cap") {
  // Typed arrays of up to 64 bytes live on V8's heap until an op asks for their buffer;
  // making one past the cap would end the process, so the ops check the cap's room first.
  SandboxConfig config;
  config.heap_cap_bytes = 16 * kMiB;
  Sandbox small(test::engine(), watchdog, std::move(config));
  for (const char* call : {"crypto.getRandomValues(new Uint8Array(16))",
                           "new TextDecoder().decode(new Uint8Array(16))",
                           "new TextEncoder().encodeInto('abc', new Uint8Array(16))",
                           "crypto.subtle.digest('SHA-256', new Uint8Array(16))"}) {
    CAPTURE(call);
    RunReport report =
        small.run(Job{"acme", "small.js",
                      std::string("const hold = new ArrayBuffer(16 * 1024 * 1024 - 8); ") +
                          "try { " + call + "; 'made' } catch (e) { e.name }",
                      std::nullopt, milliseconds(20000)});
    // Refused as any allocation past the cap is: a RangeError, or the run ends oom; never
    // the process.
    CHECK((report.status == RunStatus::kOom ||
           report.result_json == std::optional<std::string>(R"("RangeError")")));
  }
  CHECK(result("crypto.getRandomValues(new Uint8Array(16)).length") == "16");
}

TEST_CASE_FIXTURE(WebFixture, "URL and URLSearchParams follow the WHATWG URL standard") {
  CHECK(
      result(R"(
    const u = new URL('HTTPS://user:pw@EXAMPLE.com:443/a/./b/../c?x=1&y=%20#top');
    [u.href, u.origin, u.host, u.port, u.pathname, u.search, u.hash, u.username,
     new URL('../d?z', u).href, String(new URL('http://faß.de/')), new URL('http://0x7f.1/').host,
     new URL('http://[0:0::1]:8080/').host, u instanceof URL, JSON.stringify({u}),
     Object.prototype.toString.call(u)]
  )") ==
      R"(["https://user:pw@example.com/a/c?x=1&y=%20#top","https://example.com","example.com","",)"
      R"("/a/c","?x=1&y=%20","#top","user","https://user:pw@example.com/d?z","http://xn--fa-hia.de/",)"
      R"("127.0.0.1","[::1]:8080",true,"{\"u\":\"https://user:pw@example.com/a/c?x=1&y=%20#top\"}",)"
      R"("[object URL]"])");
  // searchParams is live both ways.
  CHECK(result(R"(
    const u = new URL('http://h/?a=1');
    const p = u.searchParams;
    p.append('b', 'two words');
    const after = u.href;
    u.search = '?c=3';
    const q = new URLSearchParams({z: '1', a: 'é'});
    q.sort();
    [after, p.get('c'), p === u.searchParams, q.toString(), [...new URLSearchParams('a=1&a=2')].length]
  )") == R"(["http://h/?a=1&b=two+words","3",true,"a=%C3%A9&z=1",2])");
  CHECK(result(R"(
    const errors = [];
    for (const [text, base] of [['nope'], ['http://[::1'], ['x', 'about:blank'], ['http://a b/']]) {
      try { new URL(text, base); errors.push('parsed') } catch (e) { errors.push(e.name) }
    }
    [errors, URL.canParse('http://x/'), URL.canParse('nope'), URL.canParse('/p', 'http://h')]
  )") == R"([["TypeError","TypeError","TypeError","TypeError"],true,false,true])");
}

TEST_CASE_FIXTURE(WebFixture,
                  "the built-in classes are plain globals, made once per run, never shared") {
  // Lazy data properties look like any global (a value, not an accessor, and not
  // enumerable, as WebIDL's interface objects); what a run that uses none saves is measured
  // by the bench (docs/PERFORMANCE.md).
  CHECK(result(R"(
    const before = Object.getOwnPropertyDescriptor(globalThis, 'URL');
    const a = URL;
    const b = URL;
    [typeof before.get, 'value' in before, a === b, Object.keys(globalThis).includes('URL')]
  )") == R"(["undefined",true,true,false])");
  // Each run gets its own classes: nothing one run does to them is seen by the next.
  CHECK(result("URL.prototype.polluted = 1; Event.prototype.polluted = 1; 'done'") == R"("done")");
  CHECK(result("[URL.prototype.polluted, Event.prototype.polluted, new URL('http://x').href]") ==
        R"([null,null,"http://x/"])");
}

TEST_CASE("an isolate compiles built-in JavaScript from the code cache another left") {
  Watchdog watchdog;
  const Engine::CodeCacheFigures before = test::engine().code_cache_figures();
  const std::string code =
      "new AbortController().signal.aborted + ' ' + new URL('HTTP://A.example/x/../y').href";
  for (int i = 0; i < 3; ++i) {
    Sandbox sandbox(test::engine(), watchdog, SandboxConfig{});
    RunReport report =
        sandbox.run(Job{"acme", "cache.js", code, std::nullopt, milliseconds(20000)});
    INFO(report.error.value_or(""));
    CHECK(report.result_json == std::optional<std::string>(R"("false http://a.example/y")"));
  }
  // The test process's earlier isolates may have made the caches already; from the third
  // isolate here on, each compilation used one, and V8 took them all.
  const Engine::CodeCacheFigures after = test::engine().code_cache_figures();
  CHECK(after.accepted - before.accepted >= 2);
  CHECK(after.rejected == 0);
}

}  // namespace
}  // namespace krepis

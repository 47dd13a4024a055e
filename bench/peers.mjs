// The peers, measured the same way as krepis: node:vm, isolated-vm, quickjs-emscripten.
//   node peers.mjs PEER warm N CODE     per-run µs: fresh context + CODE on a warm engine
//   node peers.mjs PEER cold N          per-run µs: new engine instance + context + `1`
//   node peers.mjs PEER idle N          RSS KiB per idle warm instance, over N instances
//   node peers.mjs PEER batch DIR       whole batch: every DIR/<tenant>/<job>.js (with its
//                                       .json input) in a fresh context; prints {"jobs": n}
//   node peers.mjs PEER deadline MS CODE  overshoot of a run stopped at MS, in ms
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const require = createRequire(path.join(path.dirname(new URL(import.meta.url).pathname), '.peers', 'x.js'));
const [peerName, mode, ...args] = process.argv.slice(2);
const now = () => Number(process.hrtime.bigint()) / 1000;

async function makePeer(name) {
  if (name === 'node-vm') {
    return {
      engine: () => ({ dispose() {} }),
      run(engine, code, input, timeoutMs) {
        const sandbox = input === undefined ? {} : { input: JSON.parse(input) };
        return vm.runInNewContext(code, sandbox, timeoutMs ? { timeout: timeoutMs } : undefined);
      },
    };
  }
  if (name === 'isolated-vm') {
    const ivm = require('isolated-vm');
    return {
      engine: () => {
        const isolate = new ivm.Isolate({ memoryLimit: 128 });
        return { isolate, dispose: () => isolate.dispose() };
      },
      run(engine, code, input, timeoutMs) {
        const context = engine.isolate.createContextSync();
        if (input !== undefined) {
          context.global.setSync('input', new ivm.ExternalCopy(JSON.parse(input)).copyInto());
        }
        try {
          return context.evalSync(code, { timeout: timeoutMs ?? 10000, copy: true });
        } finally {
          context.release();
        }
      },
    };
  }
  if (name === 'quickjs') {
    const { getQuickJS, shouldInterruptAfterDeadline } = require('quickjs-emscripten');
    const QuickJS = await getQuickJS();
    return {
      engine: () => {
        const runtime = QuickJS.newRuntime();
        runtime.setMemoryLimit(128 * 1024 * 1024);
        return { runtime, dispose: () => runtime.dispose() };
      },
      run(engine, code, input, timeoutMs) {
        const context = engine.runtime.newContext();
        if (timeoutMs) engine.runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + timeoutMs));
        try {
          if (input !== undefined) {
            const handle = context.evalCode(`(${input})`);
            const value = context.unwrapResult(handle);
            context.setProp(context.global, 'input', value);
            value.dispose();
          }
          const result = context.evalCode(code);
          if (result.error) {
            result.error.dispose();
            return undefined;
          }
          const value = context.dump(result.value);
          result.value.dispose();
          return value;
        } finally {
          context.dispose();
        }
      },
    };
  }
  throw new Error(`unknown peer ${name}`);
}

const peer = await makePeer(peerName);
const samples = [];
if (mode === 'warm') {
  const [n, code] = [Number(args[0]), args[1]];
  const engine = peer.engine();
  peer.run(engine, '0');
  for (let i = 0; i < n; i++) {
    const start = now();
    const result = peer.run(engine, code);
    if (typeof result === 'string' && result.length === 0) throw new Error('empty');
    samples.push(now() - start);
  }
  engine.dispose();
  console.log(JSON.stringify({ samples_us: samples }));
} else if (mode === 'cold') {
  for (let i = 0; i < Number(args[0]); i++) {
    const start = now();
    const engine = peer.engine();
    peer.run(engine, '1');
    samples.push(now() - start);
    engine.dispose();
  }
  console.log(JSON.stringify({ samples_us: samples }));
} else if (mode === 'idle') {
  const n = Number(args[0]);
  const keep = [];
  const first = peer.engine();
  peer.run(first, '1');
  global.gc?.();
  const before = process.memoryUsage.rss();
  for (let i = 0; i < n; i++) {
    const engine = peer.engine();
    if (peerName === 'node-vm') {
      keep.push(vm.createContext({}));  // node:vm has no engine instance: a context each
    } else {
      peer.run(engine, '1');
      keep.push(engine);
    }
  }
  global.gc?.();
  const after = process.memoryUsage.rss();
  console.log(JSON.stringify({ rss_kib_each: (after - before) / 1024 / n }));
} else if (mode === 'batch') {
  const dir = args[0];
  const engines = new Map();
  let jobs = 0;
  for (const tenant of fs.readdirSync(dir).sort()) {
    const folder = path.join(dir, tenant);
    for (const file of fs.readdirSync(folder).sort()) {
      if (!file.endsWith('.js')) continue;
      const code = fs.readFileSync(path.join(folder, file), 'utf8');
      const inputPath = path.join(folder, file.replace(/\.js$/, '.json'));
      const input = fs.existsSync(inputPath) ? fs.readFileSync(inputPath, 'utf8') : undefined;
      if (!engines.has(tenant)) engines.set(tenant, peer.engine());
      const result = peer.run(engines.get(tenant), code, input, 1000);
      JSON.stringify(result ?? null);
      jobs++;
    }
  }
  for (const engine of engines.values()) engine.dispose();
  console.log(JSON.stringify({ jobs }));
} else if (mode === 'deadline') {
  const [ms, code] = [Number(args[0]), args[1]];
  const engine = peer.engine();
  const start = now();
  try {
    peer.run(engine, code, undefined, ms);
  } catch {}
  console.log(JSON.stringify({ overshoot_ms: (now() - start) / 1000 - ms }));
  engine.dispose();
} else {
  throw new Error(`unknown mode ${mode}`);
}

// Runs after pollute-globals.js in the same warm isolate. Its result lists every path through
// which something of that run was visible here: it must be empty.
const leaks = [];
const check = (path, clean) => { if (!clean) leaks.push(path); };
check('global property', typeof leaked === 'undefined');
check('global var and function', typeof leakedVar === 'undefined' &&
      typeof leakedFunction === 'undefined');
check('script-scope let', typeof leakedLet === 'undefined');
check('Object.prototype', ({}).polluted === undefined);
check('Array.prototype', [1, 2].map((x) => x * 2)[1] === 4);
check('JSON', JSON.stringify({ a: 1 }) === '{"a":1}');
check('Function.prototype', (function f() {}).toString().startsWith('function f'));
check('Promise.prototype', Promise.prototype.then.name === 'then');
check('Math.random', Math.random() < 1);
check('Symbol.for', globalThis[Symbol.for('krepis.leak')] === undefined &&
      ({})[Symbol.for('krepis.leak')] === undefined);
check('Error.stackTraceLimit', Error.stackTraceLimit === 10);
check('Error.prepareStackTrace', Error.prepareStackTrace === undefined &&
      new Error('x').stack.startsWith('Error: x\n'));
check('pending promises', typeof resolveLater === 'undefined' && typeof lateWrite === 'undefined');
check('late WebAssembly callback', ({}).fromWasm === undefined);
check('WeakRef', typeof weak === 'undefined');
check('FinalizationRegistry', typeof FinalizationRegistry === 'undefined');
// The run's own timers only: setImmediate and Atomics.waitAsync are absent.
check('timers', typeof setTimeout === 'function' && setTimeout.leak === undefined &&
      typeof setImmediate === 'undefined' && typeof Atomics.waitAsync === 'undefined');
check('RegExp statics', RegExp.$1 === '');
check('frozen builtins', !Object.isFrozen(Array.prototype));
console.log('console works');
leaks;

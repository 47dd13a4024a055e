// Leaves behind everything a later run in the same warm isolate must not see. Each line is
// a path that state could take from one run to the next; sees-no-pollution.js checks them all.
globalThis.leaked = 'secret';
var leakedVar = 'secret';
function leakedFunction() {}
let leakedLet = 'secret';
// Pending promises and microtasks, and callbacks that settle later.
new Promise(() => {});
new Promise((resolve) => { globalThis.resolveLater = resolve; });
Promise.resolve().then(() => { globalThis.lateWrite = true; });
const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
// Not awaited: it may finish during the next run.
WebAssembly.compile(wasm).then(() => { Object.prototype.fromWasm = true; });
globalThis.weak = new WeakRef({ big: new Array(1000).fill('secret') });
// Prototypes and builtins.
Object.prototype.polluted = true;
Array.prototype.map = () => 'hijacked';
JSON.stringify = () => 'hijacked';
Function.prototype.toString = () => 'hijacked';
Promise.prototype.then = () => 'hijacked';
Math.random = () => 4;
// Symbol.for's registry is one per isolate, not per context.
globalThis[Symbol.for('krepis.leak')] = 'secret';
Object.prototype[Symbol.for('krepis.leak')] = 'secret';
// Error hooks.
Error.stackTraceLimit = 0;
Error.prepareStackTrace = () => 'hijacked';
// RegExp's legacy statics.
/(s3cret)/.exec('s3cret');
// Timers' functions (that a timer never fires in a later run: timers_test).
setTimeout.leak = 'secret';
// Frozen builtins and a replaced console.
Object.freeze(Array.prototype);
console.log = () => {};
'polluted';

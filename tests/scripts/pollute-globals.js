// Leaves behind everything a later script of the same isolate must not see.
globalThis.leaked = 'secret';
Object.prototype.polluted = true;
Array.prototype.map = () => 'hijacked';
JSON.stringify = () => 'hijacked';
Error.prepareStackTrace = () => 'hijacked';
new Promise(() => {});                          // pending forever
Promise.resolve().then(() => { globalThis.lateWrite = true; });
'polluted';

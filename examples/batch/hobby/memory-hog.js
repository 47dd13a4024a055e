// Meant to hit the cap: the "free" tier's 64 MB counts ArrayBuffer memory too (status oom).
// Its isolate is replaced; the tenant's next job gets a fresh one.
const hoard = [];
for (;;) hoard.push(new Float64Array(1024 * 1024));

// Hoards 8 MiB buffers until the heap cap, which counts ArrayBuffer memory too, stops it
// (status oom). The next run still gets a healthy isolate.
const hoard = [];
for (;;) hoard.push(new Float64Array(1024 * 1024));

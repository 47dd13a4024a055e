// Keeps 16 MiB buffers alive until the allocator refuses or the heap guard fires.
const keep = [];
for (;;) keep.push(new ArrayBuffer(16 * 1024 * 1024));

// Grows the heap in small steps until something stops it.
const keep = [];
for (;;) keep.push({ n: Math.random(), s: 'pad' + Math.random() });

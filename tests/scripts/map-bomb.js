// Grows one Map until something stops it: its table doubles as a large object.
const m = new Map();
for (let i = 0; ; i++) m.set(i, i);

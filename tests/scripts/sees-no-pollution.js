// Runs after pollute-globals.js in the same warm isolate: none of it may be visible.
({
  leaked: typeof leaked,
  polluted: ({}).polluted === undefined,
  map: [1, 2].map((x) => x * 2),
  lateWrite: typeof lateWrite,
  stack: typeof new Error('x').stack === 'string' && new Error('x').stack.startsWith('Error: x'),
});

// A plain script that must succeed after any of the attacks above.
const squares = [1, 2, 3].map((x) => x * x);
console.log('squares', squares);
({ ok: true, squares });

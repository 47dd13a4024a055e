// A promise as the completion value is awaited, under the same deadline.
async function sum(values) {
  let total = 0;
  for (const v of values) total += await Promise.resolve(v);
  return total;
}
sum([1, 2, 3, 4]);

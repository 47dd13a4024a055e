// An ES module job (.mjs): it imports the tenant's own helpers and a JSON file from
// ops-team/lib/, and its result is its default export. Imports reach only files beneath the
// tenant's folder of the batch, by relative paths.
import { byValue, money } from './lib/format.mjs';
import limits from './lib/limits.json' assert { type: 'json' };

const stock = [
  { sku: 'bolt-m6', count: 120, price: 9 },
  { sku: 'hinge', count: 3, price: 450 },
  { sku: 'shelf', count: 14, price: 2900 },
  { sku: 'bracket', count: 4, price: 310 },
];
const total = stock.reduce((sum, item) => sum + item.count * item.price, 0);

export default {
  reorder: stock.filter((item) => item.count < limits.reorder_below).map((item) => item.sku),
  top: byValue(stock)[0].sku,
  value: money(total),
  from: import.meta.url,
};

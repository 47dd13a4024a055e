// Aggregation over a file of the tenant's folder (tier "pro" grants fs.read): totals per
// customer from examples/data/acme/orders.json.
const orders = JSON.parse(krepis.fs.readText('orders.json'));
const totals = {};
for (const order of orders) {
  totals[order.customer] = (totals[order.customer] ?? 0) + order.total;
}
console.log('%d orders from %d customers', orders.length, Object.keys(totals).length);
({ region: krepis.env.get('REGION'), totals });

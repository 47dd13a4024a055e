// Helpers the tenant's module jobs import. A folder inside a tenant's folder holds what its
// jobs import, never jobs: `krepis batch` runs nothing in here.
export const money = (cents) => `${(cents / 100).toFixed(2)} EUR`;

export function byValue(items) {
  return [...items].sort((a, b) => b.count * b.price - a.count * a.price);
}

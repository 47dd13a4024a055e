// structuredClone's part of tests/differential: each corpus entry is an expression; the clone
// of its value is described (types, own properties, identity of shared references) or the
// error's name given. Run in krepis and node; see url_check.js for the shape.
const { values } = input;
// A description that keeps what a clone must keep: identity within the value (by the order
// objects are first met), types, own keys, values, prototypes of the builtins.
const describe = (root) => {
  const met = new Map();
  const walk = (value) => {
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'number') return Object.is(value, -0) ? '-0' : `${value}`;
    if (typeof value === 'symbol' || typeof value === 'function') return `<${typeof value}>`;
    if (typeof value !== 'object' || value === null) return value === undefined ? '<undefined>' : value;
    if (met.has(value)) return `<ref ${met.get(value)}>`;
    met.set(value, met.size);
    const tag = Object.prototype.toString.call(value);
    const proto = Object.getPrototypeOf(value);
    const protoName = proto === null ? 'null' : proto.constructor?.name ?? '?';
    const own = {};
    for (const key of Object.getOwnPropertyNames(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      // A stack names where the script ran, which differs between the two runners.
      if (key === 'stack' && typeof descriptor.value === 'string') own[key] = '<stack>';
      else own[key] = 'value' in descriptor ? walk(descriptor.value) : '<accessor>';
    }
    const inner = {};
    if (value instanceof Map) inner.entries = [...value].map(([k, v]) => [walk(k), walk(v)]);
    if (value instanceof Set) inner.values = [...value].map(walk);
    if (value instanceof Date) inner.time = walk(value.getTime());
    if (value instanceof RegExp) inner.regexp = [value.source, value.flags, value.lastIndex];
    if (ArrayBuffer.isView(value)) inner.view = [value.byteOffset, value.byteLength, walk(value.buffer)];
    if (value instanceof ArrayBuffer) inner.bytes = [...new Uint8Array(value)];
    if (value instanceof Error) inner.error = [value.name, value.message, 'stack' in value];
    if (['[object Number]', '[object String]', '[object Boolean]', '[object BigInt]'].includes(tag)) {
      inner.primitive = walk(value.valueOf());
    }
    return [tag, protoName, own, inner];
  };
  return walk(root);
};
({
  clone: each(values, (expression) => describe(structuredClone(new Function(`return ${expression}`)()))),
})

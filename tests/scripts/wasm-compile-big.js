// A module whose one function holds ~7 MB of `i32.const 0; drop`: V8 takes tens of
// milliseconds to compile it, inside the run, and the deadline must still hold.
const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
const count = 2300000;
const body = new Uint8Array(1 + count * 3 + 1);
body[0] = 0;  // no locals
body.set([0x41, 0x00, 0x1a], 1);
for (let filled = 3; filled < count * 3; filled *= 2) body.copyWithin(1 + filled, 1, 1 + Math.min(filled, count * 3 - filled));
body[body.length - 1] = 0x0b;
const code = [1, ...leb(body.length)];
const header = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0];
const section = [10, ...leb(code.length + body.length)];
const bytes = new Uint8Array(header.length + section.length + code.length + body.length);
bytes.set(header); bytes.set(section, header.length); bytes.set(code, header.length + section.length);
bytes.set(body, header.length + section.length + code.length);
new WebAssembly.Module(bytes);
'compiled'

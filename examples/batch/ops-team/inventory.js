// Tier "internal" may read and write its folder: list it, and write a report atomically.
const files = krepis.fs.list('.').filter((entry) => entry.type === 'file');
krepis.fs.mkdir('out');
krepis.fs.writeText('out/inventory.txt', files.map((f) => f.name).join('\n') + '\n');
({ files: files.length, stats: krepis.stats().heapUsedBytes > 0 });

// Compares what krepis and node made of one tests/differential check, case by case: each
// check's result maps sections to [case, outcome] pairs. Lists every difference that
// known_differences.json does not explain; exit status 0 when there is none. A known
// difference no longer seen is reported (node versions differ), not failed.
//   node compare.js NAME KREPIS_REPORT.jsonl NODE_RESULT.json
'use strict';
const fs = require('fs');
const path = require('path');
const [name, krepisFile, nodeFile] = process.argv.slice(2);
const lines = fs.readFileSync(krepisFile, 'utf8').trim().split('\n');
const report = JSON.parse(lines[lines.length - 1]);
if (report.status !== 'ok') {
  console.error(`${name}: krepis did not finish the check: ${report.status}: ${report.error}`);
  process.exit(1);
}
const ours = report.result;
const { node: nodeVersion, result: theirs } = JSON.parse(fs.readFileSync(nodeFile, 'utf8'));
const known = JSON.parse(fs.readFileSync(path.join(__dirname, 'known_differences.json'), 'utf8'))[name] ?? {};
let compared = 0;
const unexplained = [];
const seen = new Set();
for (const [section, pairs] of Object.entries(theirs)) {
  const mine = new Map(ours[section] ?? []);
  for (const [item, outcome] of pairs) {
    compared++;
    const a = JSON.stringify(mine.get(item));
    const b = JSON.stringify(outcome);
    if (a === b) continue;
    const key = `${section} ${item}`;
    if (key in known) {
      seen.add(key);
      continue;
    }
    unexplained.push(`${key}\n    krepis: ${a}\n    node:   ${b}`);
  }
}
console.log(`${name}: ${compared} cases against node ${nodeVersion}: ` +
  `${unexplained.length} unexplained differences, ${seen.size} known`);
for (const line of unexplained) console.log(`  ${line}`);
for (const key of Object.keys(known).filter((k) => !seen.has(k))) {
  console.log(`  (known difference not seen with this node: ${key})`);
}
process.exit(unexplained.length === 0 ? 0 : 1);

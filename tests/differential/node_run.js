// Runs a tests/differential check script in node as krepis runs it: a script whose
// completion value is the result, with the corpus as the global `input`. Prints
// {"node": version, "result": result} as JSON.
//   node node_run.js CHECK.js CORPUS.json
'use strict';
const fs = require('fs');
const [script, corpus] = process.argv.slice(2);
globalThis.input = JSON.parse(fs.readFileSync(corpus, 'utf8'));
// Indirect eval: global scope, as a krepis script has.
Promise.resolve((0, eval)(fs.readFileSync(script, 'utf8'))).then((result) => {
  process.stdout.write(`${JSON.stringify({ node: process.version, result })}\n`);
});

// Top-level `await` for the REPL's entries, which V8 runs as classic scripts (where `await`
// is only valid inside async functions, and `await (x)` is a call of a function `await`).
// Bundled by cmake/BundleCommonJS.cmake with acorn (Debian's node-acorn), which calls this
// function with the modules' definitions; it returns rewrite(source), which turns an entry
// that awaits at its top level into one async function that V8 accepts, with the same lines:
//
//   const {a, b} = await f(); function g() {}; a + b
//   becomes
//   var a, b, g; (async () => {this.g = g;
//   void ({a, b} = (await f())); function g() {}; return {value: (a + b)};
//   })()
//
// Declarations become assignments to `var`s of the entry (so later entries see them, as
// they see an ordinary entry's); a function declaration stays one (hoisted, as written) and
// is published at the start; the last expression is the value, carried in an object so
// that awaiting the async function's promise does not unwrap a thenable the script made
// (the caller takes `value` out); everything else is left as written.
//
// rewrite() returns null when the entry has no `await` (or `for await`) outside functions,
// or does not parse even with top-level await: the caller then runs it as written, and V8
// reports its own errors.
(definitions) => {
  'use strict';
  const module = { exports: {} };
  definitions.get('acorn/dist/acorn.js')(module.exports, () => {
    throw new Error('krepis:top_level_await.js: acorn requires nothing');
  }, module);
  const acorn = module.exports;

  // The names a declaration's pattern binds.
  const bound = (pattern, names) => {
    switch (pattern.type) {
      case 'Identifier':
        names.push(pattern.name);
        break;
      case 'ObjectPattern':
        for (const property of pattern.properties) {
          bound(property.type === 'RestElement' ? property.argument : property.value, names);
        }
        break;
      case 'ArrayPattern':
        for (const element of pattern.elements) {
          if (element !== null) bound(element, names);
        }
        break;
      case 'RestElement':
        bound(pattern.argument, names);
        break;
      case 'AssignmentPattern':
        bound(pattern.left, names);
        break;
    }
    return names;
  };

  const isFunction = (node) =>
    node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' ||
    node.type === 'ArrowFunctionExpression';

  // Whether the tree awaits outside any function of its own (an await in a function is the
  // function's business; class bodies hold only functions and fields, where await is no
  // keyword of the top level either).
  const awaitsAtTop = (node) => {
    if (node === null || typeof node !== 'object') return false;
    if (Array.isArray(node)) return node.some(awaitsAtTop);
    if (typeof node.type !== 'string') return false;
    if (node.type === 'AwaitExpression') return true;
    if (node.type === 'ForOfStatement' && node.await) return true;
    if (isFunction(node) || node.type === 'ClassBody') return false;
    for (const key of Object.keys(node)) {
      if (key !== 'type' && key !== 'start' && key !== 'end' && awaitsAtTop(node[key])) {
        return true;
      }
    }
    return false;
  };

  return (source) => {
    let program;
    try {
      program = acorn.parse(source, {
        ecmaVersion: 'latest',
        sourceType: 'script',
        allowAwaitOutsideFunction: true,
      });
    } catch {
      return null;
    }
    if (!awaitsAtTop(program.body)) return null;
    const text = (node) => source.slice(node.start, node.end);
    const declared = [];
    const published = [];
    const pieces = [];
    let end = 0;
    program.body.forEach((statement, index) => {
      pieces.push(source.slice(end, statement.start));  // comments and blank lines, kept
      end = statement.end;
      const last = index === program.body.length - 1;
      if (statement.type === 'VariableDeclaration') {
        const assignments = [];
        for (const declarator of statement.declarations) {
          bound(declarator.id, declared);
          if (declarator.init !== null) {
            // Brackets: acorn's node of `(0, 5)` leaves its own out.
            assignments.push(`${text(declarator.id)} = (${text(declarator.init)})`);
          } else if (statement.kind !== 'var') {
            assignments.push(`${text(declarator.id)} = undefined`);
          }
        }
        pieces.push(assignments.length > 0 ? `void (${assignments.join(', ')});` : ';');
      } else if (statement.type === 'FunctionDeclaration') {
        declared.push(statement.id.name);
        published.push(`this.${statement.id.name} = ${statement.id.name};`);
        pieces.push(text(statement));
      } else if (statement.type === 'ClassDeclaration') {
        declared.push(statement.id.name);
        pieces.push(`${statement.id.name} = ${text(statement)};`);
      } else if (last && statement.type === 'ExpressionStatement') {
        pieces.push(`return {value: (${text(statement.expression)})};`);
      } else {
        pieces.push(text(statement));
      }
    });
    pieces.push(source.slice(end));
    const names = [...new Set(declared)];
    const head = names.length > 0 ? `var ${names.join(', ')}; ` : '';
    // The head on a line of its own, which the caller compiles as line 0: the entry's lines
    // keep their numbers, and their columns where nothing was rewritten.
    return `${head}(async () => {${published.join(' ')}\n${pieces.join('')}\n})()`;
  };
}

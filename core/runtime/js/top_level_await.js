// Top-level `await` for the REPL's entries, which V8 runs as classic scripts (where `await`
// is only valid inside async functions). Bundled by cmake/BundleCommonJS.cmake with acorn
// (Debian's node-acorn), which calls this function with the modules' definitions; it
// returns rewrite(source), which turns an entry that awaits at its top level into one async
// function that V8 accepts, with the same lines:
//
//   const {a, b} = await f(); function g() {}; a + b
//   becomes
//   var a, b, g; (async () => {
//   void ({a, b} = await f()); g = function g() {}; return (a + b);
//   })()
//
// Declarations become assignments to `var`s of the entry (so later entries see them, as
// they see an ordinary entry's), the last expression is the async function's value (the
// runner awaits it, so it is the entry's result), and everything else is left as written.
// rewrite() throws acorn's SyntaxError when the source does not parse even with top-level
// await; the caller then reports V8's own error for the original source.
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

  return (source) => {
    const program = acorn.parse(source, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowAwaitOutsideFunction: true,
    });
    const text = (node) => source.slice(node.start, node.end);
    const declared = [];
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
            assignments.push(`${text(declarator.id)} = ${text(declarator.init)}`);
          } else if (statement.kind !== 'var') {
            assignments.push(`${text(declarator.id)} = undefined`);
          }
        }
        pieces.push(assignments.length > 0 ? `void (${assignments.join(', ')});` : ';');
      } else if (
        (statement.type === 'FunctionDeclaration' || statement.type === 'ClassDeclaration') &&
        statement.id !== null
      ) {
        declared.push(statement.id.name);
        pieces.push(`${statement.id.name} = ${text(statement)};`);
      } else if (last && statement.type === 'ExpressionStatement') {
        pieces.push(`return (${text(statement.expression)});`);
      } else {
        pieces.push(text(statement));
      }
    });
    pieces.push(source.slice(end));
    const names = [...new Set(declared)];
    const head = names.length > 0 ? `var ${names.join(', ')}; ` : '';
    // The head on a line of its own, which the caller compiles as line 0: the entry's lines
    // keep their numbers, and their columns where nothing was rewritten.
    return `${head}(async () => {\n${pieces.join('')}\n})()`;
  };
}

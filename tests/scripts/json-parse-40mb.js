// A 40 MB JSON text parsed in one builtin call.
const text = '[' + '"0123456789abcdef0123456789abcdef",'.repeat(1.1e6) + '0]';
JSON.parse(text).length;

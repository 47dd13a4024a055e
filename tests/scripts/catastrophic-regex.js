// Exponential backtracking: minutes in a plain backtracking engine.
/(a+)+b/.test('a'.repeat(30));

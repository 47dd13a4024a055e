// Fills a dictionary-mode array element by element inside one builtin that checks no
// interrupts: the dictionary doubles as a large object, and every element's handles stay
// outside the heap until the builtin returns.
new Array(6e7).fill(1.5);
'completed';

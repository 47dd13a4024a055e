// One builtin allocates far past a 64 MB cap before any guard can stop it, and completes.
new Array(3e7).fill(1.5);
'completed';

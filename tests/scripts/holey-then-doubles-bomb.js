// Two large objects in one builtin: a 114 MiB holey array (within a 128 MiB cap), then the
// doubles `fill` turns it into.
new Array(1.5e7).fill(1.5);
'completed';

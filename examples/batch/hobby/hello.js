// The smallest job: the completion value is the result. Tier "free" has no restricted ops.
console.log('hello from', krepis.tenant.id, { ops: Object.keys(krepis) });
`fs is ${typeof krepis.fs}`;

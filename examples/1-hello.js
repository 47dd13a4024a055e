// The smallest job: log something and return a value. The value is the script's result.
console.log('hello from krepis');
({ greeting: 'hello', at: new Date(0).toISOString() });

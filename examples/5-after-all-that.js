// Runs after the others in the same invocation and sees nothing they left behind.
({ clean: typeof hoard === 'undefined', fresh: true });

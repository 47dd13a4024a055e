// Awaits a promise nothing can ever settle.
(async () => { await new Promise(() => {}); })();

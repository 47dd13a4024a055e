// Each microtask queues the next: the drain never ends on its own.
(function again() { Promise.resolve().then(again); })();

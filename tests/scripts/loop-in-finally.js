// A termination that unwinds into a finally block must still end the run.
try { for (;;) {} } finally { for (;;) {} }

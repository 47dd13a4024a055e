// Meant to time out: the watchdog stops it at the tier's 50 ms deadline (status timeout).
for (;;) {}

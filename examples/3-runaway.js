// Never ends on its own: the watchdog stops it at the deadline (status timeout).
while (true) {}

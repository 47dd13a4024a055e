(function deeper() { deeper(); })();

const config = {};

config.missing.field = 1;

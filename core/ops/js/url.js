// URL and URLSearchParams for krepis's runs: the whatwg-url package (an implementation of
// the WHATWG URL standard, with tr46 for IDNA hosts), bundled at build time from Debian's
// packages by cmake/BundleCommonJS.cmake, which calls this function with the modules'
// definitions. It resolves require() between them as node would, and returns the exports.
(definitions, host) => {
  'use strict';
  // Where a bare require() leads: each package's main module.
  const mains = new Map([
    ['whatwg-url', 'whatwg-url/index.js'],
    ['webidl-conversions', 'webidl-conversions/lib/index.js'],
    ['tr46', 'tr46/index.js'],
    ['punycode', 'punycode/punycode.js'],
  ]);
  const loaded = new Map();
  const resolve = (from, request) => {
    if (!request.startsWith('./') && !request.startsWith('../')) {
      if (request === 'tr46' && from.startsWith('whatwg-url/')) return 'tr46';  // the shortcut
      if (mains.has(request)) return mains.get(request);
      throw new Error(`krepis:url.js: no module '${request}' (required by ${from})`);
    }
    const parts = from.split('/').slice(0, -1);
    for (const part of request.split('/')) {
      if (part === '..') parts.pop();
      else if (part !== '.') parts.push(part);
    }
    const path = parts.join('/');
    for (const candidate of [path, `${path}.js`, `${path}.json`, `${path}/index.js`]) {
      if (definitions.has(candidate)) return candidate;
    }
    throw new Error(`krepis:url.js: no module '${request}' (required by ${from})`);
  };
  // whatwg-url asks tr46 for every host, and tr46 builds its tables (137 KB of JSON, large
  // Unicode regexes) when it loads: some milliseconds each run. So it loads only for a host
  // that needs it, one with a non-ASCII character or a Punycode label. For any other, UTS #46
  // with the URL standard's options (no STD3 rules, no DNS length check) only lowercases
  // ASCII letters, which is what the shortcut does; tests/differential checks it on node's
  // URL.
  const tr46 = {
    toASCII(domain, options) {
      if (!options.useSTD3ASCIIRules && !options.verifyDNSLength && /^[\x00-\x7f]*$/.test(domain) &&
          !/(?:^|\.)xn--/i.test(domain)) {
        return domain.toLowerCase();
      }
      return load('tr46/index.js').toASCII(domain, options);
    },
    toUnicode(domain, options) {
      return load('tr46/index.js').toUnicode(domain, options);
    },
  };
  const load = (id) => {
    if (id === 'tr46') return tr46;
    const done = loaded.get(id);
    if (done !== undefined) return done.exports;
    const module = { exports: {} };
    loaded.set(id, module);  // before it runs: cycles see the partial exports, as in node
    definitions.get(id).call(module.exports, module.exports, (request) => load(resolve(id, request)), module);
    return module.exports;
  };
  const { URL, URLSearchParams } = load('whatwg-url/index.js');
  // URL.canParse, of the standard since 2023, which whatwg-url 11 predates.
  Object.defineProperty(URL, 'canParse', {
    value: function canParse(url, base = undefined) {
      if (arguments.length === 0) {
        throw new TypeError("Failed to execute 'canParse' on 'URL': 1 argument required, but only 0 present.");
      }
      try {
        new URL(url, base);
        return true;
      } catch {
        return false;
      }
    },
    writable: true, enumerable: true, configurable: true,
  });
  return Object.freeze({ URL, URLSearchParams });
}

// The URL part of tests/differential: run in krepis (the corpus is the global `input`) and in
// node (node_run.js), after check_prelude.js. An outcome is a URL's parts, or the name of the
// error it throws.
const { cases, searchParams, setters } = input;
const parts = (url) => [url.href, url.origin, url.protocol, url.username, url.password, url.host,
  url.hostname, url.port, url.pathname, url.search, url.hash, [...url.searchParams]];
const setterBases = ['http://user:pw@example.com:8080/p?q=1#f', 'foo://h/p?q', 'file:///C:/x'];
({
  parse: each(cases, ([text, base]) => parts(base === null ? new URL(text) : new URL(text, base))),
  canParse: each(cases, ([text, base]) => URL.canParse(text, base ?? undefined)),
  searchParams: each(searchParams, (text) => {
    const params = new URLSearchParams(text);
    const sorted = new URLSearchParams(text);
    sorted.sort();
    params.append('x y', 'ü&=');
    return [params.toString(), [...params], params.get('a'), params.getAll('a'), params.has('a'),
      sorted.toString()];
  }),
  setters: each(setterBases.flatMap((base) => setters.map((setter) => [base, ...setter])),
    ([base, name, value]) => {
      const url = new URL(base);
      url[name] = value;
      return url.href;
    }),
  // The live binding between a URL and its searchParams.
  live: each([['http://h/?a=1', 'b', '2 3', '?c=4']], ([text, name, value, search]) => {
    const url = new URL(text);
    const params = url.searchParams;
    params.append(name, value);
    const afterAppend = url.href;
    url.search = search;
    return [afterAppend, params.toString(), url.searchParams === params];
  }),
})

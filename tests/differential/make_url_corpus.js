// Writes url_corpus.json, the URL cases tests/differential runs through krepis and node:
//   node tests/differential/make_url_corpus.js > tests/differential/url_corpus.json
// Deterministic: the same file every time. Combinations of schemes, authorities and paths,
// then hand-picked inputs that parsers get wrong (IPv4 forms, IPv6, percent-encoding,
// IDNA, backslashes, whitespace and controls, opaque paths, relative resolution).
'use strict';
const schemes = ['http:', 'https:', 'ws:', 'wss:', 'ftp:', 'file:', 'foo:', 'javascript:', 'mailto:', 'blob:'];
const authorities = [
  '//host', '//HOST.Example', '//user:pw@host:8080', '//@host', '//user@', '//[::1]', '//[1:0::]',
  '//192.168.0.1', '//0x7f.1', '//0300.0250.0.1', '//4294967295', '//4294967296', '//%41.com',
  '//a b', '//ex%00ample', '//faß.de', '//xn--fa-hia.de', '//münchen.de', '//😀.com',
  '//host:65535', '//host:65536', '//host:0', '//host:', '//h:8o', '', '///triple', '/single',
];
const paths = ['', '/', '/a/./b/../c', '/%2e%2E/x', '/ä?ö#ü', '\\back\\slash', '?q=a b&c=%zz', '#frag ment'];
const cases = [];
for (const scheme of schemes) {
  for (const authority of authorities) {
    for (const path of paths) cases.push([scheme + authority + path, null]);
  }
}
const bases = [
  'http://example.org/foo/bar', 'https://user:pass@example.com:8443/a/b?q#f', 'file:///C:/dir/file',
  'about:blank', 'non-special://host/path/x', 'data:text/plain,hi', 'http://[::1]/a/', 'file://server/share/x',
];
const relatives = [
  '', '.', '..', '../..', '../../../x', './y', 'g', 'g/', '/g', '//g', '?y', 'g?y', '#s', 'g#s',
  'g;x', ';x', '\\\\x\\y', '/\\x', 'http:x', 'http:/x', 'https:x', 'file:x', 'foo:x', 'C:/x',
  '/C:/x', '//C:/x', '%2e/x', '.%2E/x', 'x/%2e%2e/y', '  spaced  ', '\t\n tab\r', '?a=ü',
  '#\u0000', 'a\u0000b', '??', '##', 'g?y#s', '../g', '../../g', '/./g', '/../g', 'g.', '.g',
];
for (const base of bases) {
  for (const relative of relatives) cases.push([relative, base]);
}
const tricky = [
  'http://example.com/%', 'http://example.com/%zz%41', 'http://example.com/a%2fb',
  'http://1.2.3', 'http://1.2.3.4.5', 'http://1.2.3.4.', 'http://0x100000000', 'http://08.0.0.1',
  'http://0.0.0.0x', 'http://09', 'http://[::ffff:192.168.0.1]', 'http://[0:0:0:0:0:0:0:1]',
  'http://[::1:2:3:4:5:6:7]', 'http://[1:2:3:4:5:6:7:8:9]', 'http://[::1', 'http://[www.example]',
  'http://[::1]:80', 'https://[::1]:443', 'http://example.com:80', 'https://example.com:443',
  'ws://example.com:80', 'wss://example.com:443', 'ftp://example.com:21', 'http://a:b@c:29/d',
  'http://a@b@c/', 'http://a:b:c@d/', 'http://%zz@host/', 'http://user:p%40ss@host/',
  'http::@c:29', 'http://::@c@d:2', 'http://&a:foo(b]c@d:2/', 'http://a.b.c.xn--pokxncvks',
  'http://xn--', 'http://xn--a.com', 'http://xn--zca.com', 'http://XN--FA-HIA.de', 'http://a..b',
  'http://.', 'http://..', 'http://a.', 'http://example.com.', 'http://ExAmPlE.CoM/',
  'http://ex ample.com', 'http://ex<ample.com', 'http://ex^ample.com', 'http://ex|ample.com',
  'http://ex%7Cample.com', 'http://\u00ad.com', 'http://a\u3002b', 'http://Ａ.com', 'http://①.com',
  'http://ß.com', 'http://ς.com', 'http://\u200d.com', 'http://العربية.com', 'http://日本語.jp',
  'http://𝔘𝔫𝔦𝔠𝔬𝔡𝔢.com', 'http://a\u0301.com', 'http://-a.com', 'http://a-.com', 'http://a_b.com',
  'http://' + 'a'.repeat(64) + '.com', 'http://' + 'a.'.repeat(130) + 'com',
  'non-special://a b/', 'non-special://[1:2::3]:80/', 'non-special://host/a/../..', 'non-special:/.//p',
  'non-special:opaque path ', 'non-special:opaque?q#h', 'sc://ñ.com/', 'sc://%/', 'sc://@/',
  'sc://te@s:t@/', 'sc://:/', 'sc://:12/', 'sc:\\../', 'sc::a@example.net', 'sc:/../x', 'sc://x/..',
  'file:///C|/x', 'file://localhost/x', 'file://LOCALHOST/x', 'file://host/C:/x', 'file:C:/../x',
  'file:/C:/x', 'file:c:\\x', 'file://%43%3A/x', 'file:///./x', 'file:..', 'file://h/a/../..',
  'file:\\\\server\\share', 'file:?q', 'file:#h', 'file://[1::8]/C:/', 'file://1.2.3.4/',
  'javascript:alert(1)', 'javascript:/\\/x', 'data:,hello world', 'data:text/html;base64,PHA+',
  'mailto:a@b.c?subject=hi there', 'blob:https://example.com/uuid', 'about:blank#x', 'urn:isbn:0451',
  'HTTP://EXAMPLE.COM/', 'hTtP://x/', 'http:example.com', 'http:/example.com', 'http:\\\\example.com',
  'https:\\/example.com', '  http://x/  ', 'http://x/\t\n\ry', '\u0000http://x/', 'http://x/\u0001',
  'http://x/ \u007f', 'http://x/?\u0000', 'http://x/#\u0000', 'http://x/?a=1&a=2&b=%20+', "http://x/?'",
  "ws://x/?'", 'http://x/#`{}', 'http://x/`{}<>"', 'http://x/\ud800', 'http://x/?\udfff', 'http://x/#\ud83d',
  'http://x:0080/', 'http://x:00000000000000080/', 'http://x:-1/', 'http://x:1.5/', 'http://x: 1/',
  'http://x:999999999999999999999/', 'http://[::]/', 'http://[::0.0.0.0]/', 'http://[0::]/',
  'http://[::1.2.3]/', 'http://[::1.2.3.4.5]/', 'http://[::01.2.3.4]/', 'http://[::256.2.3.4]/',
  'http://[ff::ff:0:0]/', 'http://[1:0:0:2:0:0:0:3]/', 'http://[1:0:0:0:2:0:0:3]/', 'http://[:1]/',
  'http://[1:]/', 'http://[1::2::3]/', 'http://%5B::1%5D/', 'http://[::%31]/', 'http://0/', 'http://00/',
  'http://0x/', 'http://0xffffffff/', 'http://0xffffffff1/', 'http://256/', 'http://1.256/',
  'http://1.2.65536/', 'http://1.2.3.256/', 'http://%30%78%37%66.1/', 'http://１２７.0.0.1/',
  'http://[v1.x]/', 'http://x/%2e', 'http://x/%2E%2e/', 'http://x/a/%2e%2e/b', 'http://x/.%2E/b',
  'http://x/a/..%2f', 'http://x/a;b/../c', 'http://x/a#b?c', 'http://x?a#b#c', 'http://x/%25',
  '', ' ', '//', '///', 'x', '/x', '?x', '#x', ':', 'a:', '1a:', 'a1+-.:x', '+a:x', 'a$:x',
];
for (const input of tricky) cases.push([input, null]);
const searchParams = [
  '', '?', 'a=1&b=2', '?a=1&a=2', 'a', 'a=', '=b', '&&a=1&&', 'a=b=c', 'a+b=c+d', 'a%20b=%zz',
  'ü=%C3%BC', '%FF=%FE', 'a=%', 'a=%2', '%=a', 'a=1;b=2', 'é&e%CC%81', 'a=%00', '\ud800=x', 'b=2&a=1&c=0&a=0',
];
const setters = [
  ['protocol', 'https'], ['protocol', 'ftp:'], ['protocol', 'file'], ['protocol', 'foo'], ['protocol', 'h t'],
  ['username', 'us er'], ['username', '@:/'], ['password', 'p@ss'], ['host', 'other.example:81'],
  ['host', 'faß.de'], ['host', '[::2]'], ['host', 'a b'], ['hostname', 'x.y'], ['hostname', 'x:9'],
  ['port', '81'], ['port', '80'], ['port', ''], ['port', '99999'], ['port', '12abc'],
  ['pathname', 'a/b'], ['pathname', '/%2e/./x'], ['pathname', '/ä?#'], ['search', 'a=b c'], ['search', ''],
  ['search', '??x'], ['hash', 'h h'], ['hash', ''], ['hash', '##'], ['href', 'https://replaced.example/'],
];
process.stdout.write(JSON.stringify({ cases, searchParams, setters }, null, 0) + '\n');

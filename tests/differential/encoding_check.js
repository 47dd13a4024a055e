// The encoders' part of tests/differential: TextEncoder (encode, encodeInto into every small
// size), TextDecoder (fatal or not, BOM ignored or not, whole and streamed in two chunks split
// at every byte), atob and btoa. Run in krepis and node; see url_check.js for the shape.
const { strings, byteSequences, base64, binary } = input;
const units = (text) => Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
const encoder = new TextEncoder();
const decoderOptions = [
  { fatal: false, ignoreBOM: false }, { fatal: true, ignoreBOM: false },
  { fatal: false, ignoreBOM: true }, { fatal: true, ignoreBOM: true },
];
({
  encode: each(strings, (text) => [...encoder.encode(text)]),
  encodeInto: each(strings.flatMap((text) => [0, 1, 2, 3, 4, 7].map((size) => [text, size])),
    ([text, size]) => {
      const target = new Uint8Array(size);
      const { read, written } = encoder.encodeInto(text, target);
      return [read, written, [...target]];
    }),
  decode: each(byteSequences.flatMap((bytes) => decoderOptions.map((options) => [bytes, options])),
    ([bytes, options]) => units(new TextDecoder('utf-8', options).decode(new Uint8Array(bytes)))),
  decodeStreamed: each(
    byteSequences.flatMap((bytes) => decoderOptions.flatMap((options) =>
      Array.from({ length: bytes.length + 1 }, (_, split) => [bytes, options, split]))),
    ([bytes, options, split]) => {
      const decoder = new TextDecoder('utf-8', options);
      const all = new Uint8Array(bytes);
      const first = outcome(() => units(decoder.decode(all.subarray(0, split), { stream: true })));
      const second = outcome(() => units(decoder.decode(all.subarray(split))));
      // The decoder is usable again after a whole decode.
      const again = outcome(() => units(decoder.decode(all)));
      return [first, second, again];
    }),
  roundTrip: each(strings, (text) => units(new TextDecoder().decode(encoder.encode(text)))),
  atob: each(base64, (text) => units(atob(text))),
  btoa: each(binary, (text) => btoa(text)),
  labels: each(['utf-8', 'UTF8', ' utf-8 ', 'unicode-1-1-utf-8', 'latin1', 'utf-16le', 'nope'],
    (label) => new TextDecoder(label).encoding),
})

// UTF-8 with surrogatepass (as Python's pickle reads and writes str), and the escapes of protocol 0's text opcodes.
import { PickleFormatError } from './errors.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
// Buffer's own latin-1 slice, applied to any Uint8Array: for ASCII it is the text, and the quickest way to it.
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;

// Up to 6 ASCII bytes: one fromCharCode call beats a native slice's call overhead.
function shortAscii(b: Uint8Array, s: number, n: number): string {
  switch (n) {
    case 0:
      return '';
    case 1:
      return String.fromCharCode(b[s]!);
    case 2:
      return String.fromCharCode(b[s]!, b[s + 1]!);
    case 3:
      return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!);
    case 4:
      return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
    case 5:
      return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
    default:
      return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
  }
}

// Short ASCII strings decoded lately, by a hash of their bytes: the names, keys and ids a stream of messages
// repeats come back as the string already made, with no native call and nothing new for the collector.
const recentSize = 256;
const recent: (string | undefined)[] = new Array<string | undefined>(recentSize).fill(undefined);
const recentMax = 32;

function recentAscii(b: Uint8Array, s: number, e: number, hash: number): string {
  const slot = hash & (recentSize - 1);
  const seen = recent[slot];
  const n = e - s;
  if (seen !== undefined && seen.length === n) {
    let i = 0;
    while (i < n && seen.charCodeAt(i) === b[s + i]) i++;
    if (i === n) return seen;
  }
  const text = latin1Slice.call(b, s, e);
  recent[slot] = text;
  return text;
}

/** Decodes UTF-8 as Python's `surrogatepass` does: encoded lone surrogates come back as lone surrogates. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= 64) {
    let i = start;
    let hash = n;
    for (; i < end; i++) {
      const b = bytes[i]!;
      if (b >= 0x80) break;
      hash = (Math.imul(hash, 31) + b) | 0;
    }
    if (i === end) {
      if (n <= 6) return shortAscii(bytes, start, n);
      return n <= recentMax ? recentAscii(bytes, start, end, hash ^ (hash >>> 8)) : latin1Slice.call(bytes, start, end);
    }
  }
  try {
    return fatal.decode(bytes.subarray(start, end));
  } catch {
    return decodeSurrogatePass(bytes, start, end);
  }
}

function decodeSurrogatePass(bytes: Uint8Array, start: number, end: number): string {
  const units: number[] = [];
  let i = start;
  const bad = (): never => {
    throw new PickleFormatError(`a str is not valid UTF-8 (at byte ${i - start})`);
  };
  const cont = (k: number): number => {
    const b = bytes[i + k];
    if (b === undefined || i + k >= end || (b & 0xc0) !== 0x80) bad();
    return b! & 0x3f;
  };
  while (i < end) {
    const b = bytes[i]!;
    let cp: number;
    if (b < 0x80) {
      cp = b;
      i += 1;
    } else if (b >= 0xc2 && b < 0xe0) {
      cp = ((b & 0x1f) << 6) | cont(1);
      i += 2;
    } else if (b >= 0xe0 && b < 0xf0) {
      cp = ((b & 0x0f) << 12) | (cont(1) << 6) | cont(2);
      if (cp < 0x800) bad();
      i += 3;
    } else if (b >= 0xf0 && b < 0xf5) {
      cp = ((b & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
      if (cp < 0x10000 || cp > 0x10ffff) bad();
      i += 4;
    } else {
      bad();
      cp = 0;
    }
    if (cp > 0xffff) {
      cp -= 0x10000;
      units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
    } else {
      units.push(cp);
    }
  }
  let out = '';
  for (let k = 0; k < units.length; k += 8192) out += String.fromCharCode(...units.slice(k, k + 8192));
  return out;
}

/** The UTF-8 bytes of a string whose lone surrogates are written as 3-byte sequences (surrogatepass). */
export function encodeSurrogatePass(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}

const simpleEscapes: Record<string, number> = { '\\': 0x5c, "'": 0x27, '"': 0x22, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };

/** The bytes of a protocol 0 `STRING` argument: a Python bytes literal body in quotes (`'a\\n'`). */
export function unquoteString(line: string): Uint8Array {
  const quote = line[0];
  if (line.length < 2 || (quote !== "'" && quote !== '"') || line[line.length - 1] !== quote) {
    throw new PickleFormatError('the STRING opcode argument must be quoted');
  }
  const body = line.slice(1, -1);
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const next = body[++i];
    if (next === undefined) throw new PickleFormatError('a STRING ends in a lone backslash');
    const simple = simpleEscapes[next];
    if (simple !== undefined) {
      out.push(simple);
    } else if (next === 'x') {
      const hex = body.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new PickleFormatError('a STRING has a bad \\x escape');
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (next >= '0' && next <= '7') {
      let digits = next;
      while (digits.length < 3 && body[i + 1] !== undefined && body[i + 1]! >= '0' && body[i + 1]! <= '7') digits += body[++i];
      out.push(parseInt(digits, 8) & 0xff);
    } else if (next === '\n') {
      // a line continuation: nothing
    } else {
      out.push(0x5c, next.charCodeAt(0) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** A protocol 0 `UNICODE` argument: latin-1 text with `\\uXXXX` and `\\UXXXXXXXX` escapes (raw-unicode-escape). */
export function rawUnicodeUnescape(line: string): string {
  if (!line.includes('\\')) return line;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    let run = 1;
    while (line[i + run] === '\\') run++;
    const after = line[i + run];
    if (run % 2 === 1 && (after === 'u' || after === 'U')) {
      const width = after === 'u' ? 4 : 8;
      const hex = line.slice(i + run + 1, i + run + 1 + width);
      if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) throw new PickleFormatError('a UNICODE argument has a truncated \\u escape');
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) throw new PickleFormatError('a UNICODE argument escapes a code point above U+10FFFF');
      out += '\\'.repeat(run - 1) + String.fromCodePoint(cp);
      i += run + width;
    } else {
      out += '\\'.repeat(run);
      i += run - 1;
    }
  }
  return out;
}

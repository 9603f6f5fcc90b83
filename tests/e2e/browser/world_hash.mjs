// World hash as in PROTOCOL.md: sha256 of Python's
// json.dumps(obj, sort_keys=True, separators=(",", ":")), first 16 hex digits.
// JSON.parse cannot be used: it forgets whether `5.0` was a float, so we parse the
// raw text ourselves and keep every number literal as written.

import { createHash } from 'node:crypto';

class NumberLiteral {
  constructor(raw) { this.raw = raw; }
}

const NUMBER_PATTERN = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function parse(text) {
  let i = 0;
  const fail = (what) => { throw new SyntaxError(`${what} at offset ${i}`); };
  const skipSpace = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i += 1; };

  function parseString() {
    const start = i;
    i += 1;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail('unterminated string');
    i += 1;
    const value = JSON.parse(text.slice(start, i));
    if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) fail('lone surrogate');
    return value;
  }

  function parseValue() {
    skipSpace();
    const ch = text[i];
    if (ch === '{') {
      i += 1;
      const object = new Map();
      skipSpace();
      if (text[i] === '}') { i += 1; return object; }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail('expected key');
        const key = parseString();
        skipSpace();
        if (text[i] !== ':') fail('expected :');
        i += 1;
        object.set(key, parseValue()); // a later duplicate key wins
        skipSpace();
        if (text[i] === ',') { i += 1; continue; }
        if (text[i] === '}') { i += 1; return object; }
        fail('expected , or }');
      }
    }
    if (ch === '[') {
      i += 1;
      const array = [];
      skipSpace();
      if (text[i] === ']') { i += 1; return array; }
      for (;;) {
        array.push(parseValue());
        skipSpace();
        if (text[i] === ',') { i += 1; continue; }
        if (text[i] === ']') { i += 1; return array; }
        fail('expected , or ]');
      }
    }
    if (ch === '"') return parseString();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) { i += word.length; return value; }
    }
    NUMBER_PATTERN.lastIndex = i;
    const match = NUMBER_PATTERN.exec(text);
    if (!match) fail('unexpected character');
    i += match[0].length;
    return new NumberLiteral(match[0]);
  }

  const value = parseValue();
  skipSpace();
  if (i !== text.length) fail('trailing characters');
  return value;
}

function compareCodePoints(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let k = 0; k < Math.min(x.length, y.length); k += 1) {
    const d = x[k].codePointAt(0) - y[k].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function encodeString(value) {
  let out = '"';
  for (let k = 0; k < value.length; k += 1) {
    const unit = value.charCodeAt(k); // UTF-16 units: astral characters become surrogate-pair escapes
    const ch = value[k];
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (unit >= 0x20 && unit <= 0x7e) out += ch;
    else out += `\\u${unit.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/** Python's repr() of a float. */
function formatFloat(raw) {
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new RangeError(`float out of range: ${raw}`);
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = value < 0 ? '-' : '';
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1) || '0';
    return `${sign}${whole}.${fraction}`;
  }
  const scientific = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${scientific}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function encode(value) {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return encodeString(value);
  if (value instanceof NumberLiteral) {
    return /[.eE]/.test(value.raw) ? formatFloat(value.raw) : BigInt(value.raw).toString();
  }
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  const keys = [...value.keys()].sort(compareCodePoints);
  return `{${keys.map((key) => `${encodeString(key)}:${encode(value.get(key))}`).join(',')}}`;
}

/** Canonical JSON text of a JSON document (throws on what the server rejects with 422). */
export function canonicalJson(text) {
  return encode(parse(text));
}

/** Canonical text of one top-level member, e.g. the `world` of a replay file. */
export function canonicalMember(text, key) {
  const document = parse(text);
  if (!(document instanceof Map) || !document.has(key)) throw new Error(`no top-level "${key}"`);
  return encode(document.get(key));
}

export function hashCanonical(canonicalText) {
  return createHash('sha256').update(canonicalText, 'utf8').digest('hex').slice(0, 16);
}

export function worldHash(text) {
  return hashCanonical(canonicalJson(text));
}

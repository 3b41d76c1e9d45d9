/**
 * Kubernetes resource quantities (k8s.io/apimachinery `resource.Quantity`), parsed into exact
 * rational numbers so comparisons (request <= limit, limit <= ceiling) never suffer float rounding.
 *
 * Grammar (as upstream documents it):
 * ```
 * quantity        ::= signedNumber suffix
 * signedNumber    ::= number | sign number          sign ::= "+" | "-"
 * number          ::= digits | digits "." digits | digits "." | "." digits
 * suffix          ::= binarySI | decimalExponent | decimalSI
 * binarySI        ::= Ki | Mi | Gi | Ti | Pi | Ei                (powers of 1024)
 * decimalSI       ::= m | "" | k | M | G | T | P | E             (powers of 1000; m = 1/1000)
 * decimalExponent ::= "e" signedInteger | "E" signedInteger      (1e3, 5E-1)
 * ```
 * `E` alone is the exa suffix; `E` followed by digits is an exponent. No whitespace is allowed.
 * Like the upstream parser (apimachinery `suffix.go`), `n` (1e-9) and `u` (1e-6) are accepted as
 * decimal suffixes too, although the documented grammar omits them (metrics report `12345n` cpu).
 * Numbers (JSON/YAML `cpu: 1`) are accepted through their decimal string form.
 *
 * Bounds (beyond what any real resource needs, well within what upstream stores): at most 64
 * characters and an exponent magnitude of at most 100; anything else is reported as malformed,
 * so an attacker cannot make the engine build astronomically large integers.
 */

export interface Quantity {
  /** The value is `numerator / denominator` exactly (denominator > 0). */
  numerator: bigint;
  denominator: bigint;
  /** The text as written (numbers converted with String()). */
  text: string;
  /**
   * numerator / denominator as a double: quantities whose doubles are clearly apart (relative
   * difference > 1e-9, far above the ~1e-15 rounding of the conversion) compare without BigInt
   * arithmetic; close ones compare exactly.
   */
  approx?: number;
}

export type QuantityResult = { ok: true; quantity: Quantity } | { ok: false; reason: string };

const MAX_LENGTH = 64;
const MAX_EXPONENT = 100;

const DECIMAL_SI: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SI: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function own(table: Readonly<Record<string, number>>, key: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/**
 * Parsed results per quantity text: a cluster's objects and the bundle's ceilings and defaults
 * repeat a handful of quantities ("100m", "128Mi"), so each is parsed (and its BigInts built) once.
 * Bounded (cleared when full) so arbitrary input cannot grow it; results are frozen and shared.
 */
const MEMO_MAX = 1024;
const memo = new Map<string, QuantityResult>();

/** Parse a Kubernetes quantity. Never throws: malformed input gives `{ ok: false, reason }`. */
export function parseQuantity(input: unknown): QuantityResult {
  if (typeof input !== 'string') return parseUncached(input);
  let result = memo.get(input);
  if (result === undefined) {
    result = parseUncached(input);
    if (result.ok) Object.freeze(result.quantity);
    Object.freeze(result);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(input, result);
  }
  return result;
}

function parseUncached(input: unknown): QuantityResult {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { ok: false, reason: 'not a finite number' };
    text = String(input);
  } else if (typeof input === 'string') {
    text = input;
  } else {
    return { ok: false, reason: `expected a string such as "500m" or "128Mi", got ${input === null ? 'null' : typeof input}` };
  }
  if (text.length === 0) return { ok: false, reason: 'empty quantity' };
  if (text.length > MAX_LENGTH) return { ok: false, reason: `longer than ${MAX_LENGTH} characters` };

  let i = 0;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') {
    negative = text[i] === '-';
    i++;
  }
  const intStart = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  const intDigits = text.slice(intStart, i);
  let fracDigits = '';
  if (text[i] === '.') {
    i++;
    const fracStart = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    fracDigits = text.slice(fracStart, i);
  }
  if (intDigits === '' && fracDigits === '') return { ok: false, reason: 'no digits' };

  const suffix = text.slice(i);
  let exp10 = -fracDigits.length;
  let exp2 = 0;
  const decimal = own(DECIMAL_SI, suffix);
  const binary = own(BINARY_SI, suffix);
  if (decimal !== undefined) {
    exp10 += decimal;
  } else if (binary !== undefined) {
    exp2 = binary;
  } else if ((suffix[0] === 'e' || suffix[0] === 'E') && suffix.length > 1) {
    const exp = suffix.slice(1);
    let j = exp[0] === '+' || exp[0] === '-' ? 1 : 0;
    if (j >= exp.length) return { ok: false, reason: `invalid exponent "${suffix}"` };
    for (; j < exp.length; j++) {
      if (!isDigit(exp.charCodeAt(j))) return { ok: false, reason: `invalid suffix "${suffix}"` };
    }
    const e = Number(exp);
    if (!Number.isSafeInteger(e) || Math.abs(e) > MAX_EXPONENT) return { ok: false, reason: `exponent out of range "${suffix}"` };
    exp10 += e;
  } else {
    return {
      ok: false,
      reason: `invalid suffix "${suffix}" (use n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent)`,
    };
  }

  let numerator = BigInt((intDigits + fracDigits).replace(/^0+(?=.)/, '') || '0');
  if (negative) numerator = -numerator;
  numerator *= 1n << BigInt(exp2);
  let denominator = 1n;
  if (exp10 >= 0) numerator *= 10n ** BigInt(exp10);
  else denominator = 10n ** BigInt(-exp10);
  return { ok: true, quantity: { numerator, denominator, text, approx: Number(numerator) / Number(denominator) } };
}

/** -1, 0 or 1 as a < b, a = b, a > b (exact). */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const x = a.approx;
  const y = b.approx;
  if (x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y)) {
    if (Math.abs(x - y) > Math.max(Math.abs(x), Math.abs(y)) * 1e-9) return x < y ? -1 : 1;
  }
  const l = a.numerator * b.denominator;
  const r = b.numerator * a.denominator;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function isNegative(q: Quantity): boolean {
  return q.numerator < 0n;
}

/**
 * The Kubernetes CEL quantity library (k8s.io/apiserver/pkg/cel/library, in every
 * ValidatingAdmissionPolicy environment since 1.28; documented at
 * https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-quantity-library), supplied to
 * @marcbachmann/cel-js for the test harness only: cel-js does not have it, the API server does.
 *
 * Semantics implemented (k8s.io/apimachinery `resource.Quantity`):
 * - `quantity(string)`: parse `<sign?><digits>[.<digits>]<suffix>` with the decimal SI suffixes
 *   n u m "" k M G T P E, the binary SI suffixes Ki Mi Gi Ti Pi Ei and decimal exponents
 *   (`e`/`E` + signed integer; `E` alone is exa); no whitespace; an error on anything else.
 *   The value is kept as an exact rational (apimachinery keeps it exact: int64 scaled or inf.Dec).
 *   Not modelled: the rounding of digits below 1n that ParseQuantity applies (canonical strings,
 *   the only ones an admitted object carries, have none), and exponents beyond ±1000 are refused
 *   (a bound of this harness, far beyond any real resource).
 * - `isQuantity(string)`: whether `quantity` would succeed.
 * - `sign()`, `isInteger()`, `asInteger()` (error unless an integer within int64),
 *   `asApproximateFloat()`, `add`/`sub` (a quantity or an int), `compareTo` (-1, 0, 1),
 *   `isGreaterThan`, `isLessThan`, and `==` by value (`quantity("200M") == quantity("0.2G")`).
 */
import type { Environment } from '@marcbachmann/cel-js';

const DECIMAL_SI: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SI: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const GRAMMAR = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/;
const EXPONENT = /^[eE]([+-]?[0-9]+)$/;
const MAX_EXPONENT = 1000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x === 0n ? 1n : x;
}

/** An exact quantity: numerator / denominator, reduced, denominator > 0. */
export class K8sQuantity {
  readonly numerator: bigint;
  readonly denominator: bigint;

  constructor(numerator: bigint, denominator: bigint) {
    const g = gcd(numerator, denominator);
    this.numerator = numerator / g;
    this.denominator = denominator / g;
  }

  compare(other: K8sQuantity): -1 | 0 | 1 {
    const l = this.numerator * other.denominator;
    const r = other.numerator * this.denominator;
    return l < r ? -1 : l > r ? 1 : 0;
  }

  plus(other: K8sQuantity): K8sQuantity {
    return new K8sQuantity(this.numerator * other.denominator + other.numerator * this.denominator, this.denominator * other.denominator);
  }

  negated(): K8sQuantity {
    return new K8sQuantity(-this.numerator, this.denominator);
  }
}

/** resource.ParseQuantity's accepted strings as exact values; undefined when it refuses the string. */
export function parseK8sQuantity(text: string): K8sQuantity | undefined {
  const m = GRAMMAR.exec(text);
  if (m === null) return undefined;
  const [, sign, whole, fraction = '', suffix] = m;
  if (whole === '' && fraction === '') return undefined;
  let exp10 = -fraction.length;
  let exp2 = 0;
  if (Object.prototype.hasOwnProperty.call(DECIMAL_SI, suffix)) exp10 += DECIMAL_SI[suffix];
  else if (Object.prototype.hasOwnProperty.call(BINARY_SI, suffix)) exp2 = BINARY_SI[suffix];
  else {
    const e = EXPONENT.exec(suffix);
    if (e === null) return undefined;
    const n = Number(e[1]);
    if (Math.abs(n) > MAX_EXPONENT) return undefined;
    exp10 += n;
  }
  let numerator = BigInt(`${whole}${fraction}` || '0') * 2n ** BigInt(exp2);
  if (sign === '-') numerator = -numerator;
  return exp10 >= 0 ? new K8sQuantity(numerator * 10n ** BigInt(exp10), 1n) : new K8sQuantity(numerator, 10n ** BigInt(-exp10));
}

function mustParse(text: string): K8sQuantity {
  const q = parseK8sQuantity(text);
  if (q === undefined) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got ${JSON.stringify(text)})`);
  return q;
}

function isInteger(q: K8sQuantity): boolean {
  return q.denominator === 1n && q.numerator >= INT64_MIN && q.numerator <= INT64_MAX;
}

function asInteger(q: K8sQuantity): bigint {
  if (!isInteger(q)) throw new Error('cannot convert value to integer');
  return q.numerator;
}

function asApproximateFloat(q: K8sQuantity): number {
  return Number(q.numerator) / Number(q.denominator);
}

/** Register the library on a cel-js Environment (type `kubernetes.Quantity`, as the API server names it). */
export function registerQuantityLibrary(env: Environment): Environment {
  const Q = 'kubernetes.Quantity';
  return env
    .registerType(Q, K8sQuantity)
    .registerFunction(`quantity(string): ${Q}`, (s: string) => mustParse(s))
    .registerFunction('isQuantity(string): bool', (s: string) => parseK8sQuantity(s) !== undefined)
    .registerFunction(`${Q}.sign(): int`, (q: K8sQuantity) => BigInt(q.compare(new K8sQuantity(0n, 1n))))
    .registerFunction(`${Q}.isInteger(): bool`, (q: K8sQuantity) => isInteger(q))
    .registerFunction(`${Q}.asInteger(): int`, (q: K8sQuantity) => asInteger(q))
    .registerFunction(`${Q}.asApproximateFloat(): double`, (q: K8sQuantity) => asApproximateFloat(q))
    .registerFunction(`${Q}.add(${Q}): ${Q}`, (a: K8sQuantity, b: K8sQuantity) => a.plus(b))
    .registerFunction(`${Q}.add(int): ${Q}`, (a: K8sQuantity, b: bigint) => a.plus(new K8sQuantity(b, 1n)))
    .registerFunction(`${Q}.sub(${Q}): ${Q}`, (a: K8sQuantity, b: K8sQuantity) => a.plus(b.negated()))
    .registerFunction(`${Q}.sub(int): ${Q}`, (a: K8sQuantity, b: bigint) => a.plus(new K8sQuantity(-b, 1n)))
    .registerFunction(`${Q}.compareTo(${Q}): int`, (a: K8sQuantity, b: K8sQuantity) => BigInt(a.compare(b)))
    .registerFunction(`${Q}.isGreaterThan(${Q}): bool`, (a: K8sQuantity, b: K8sQuantity) => a.compare(b) > 0)
    .registerFunction(`${Q}.isLessThan(${Q}): bool`, (a: K8sQuantity, b: K8sQuantity) => a.compare(b) < 0)
    .registerOperator(`${Q} == ${Q}`, (a: K8sQuantity, b: K8sQuantity) => a.compare(b) === 0);
}

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareQuantities, parseQuantity, type Quantity } from '../../../runtime/engine/quantity';

function q(s: unknown): Quantity {
  const r = parseQuantity(s);
  if (!r.ok) throw new Error(`${String(s)}: ${r.reason}`);
  return r.quantity;
}
/** The exact value as numerator/denominator in lowest terms, for assertions. */
function value(s: unknown): string {
  const { numerator, denominator } = q(s);
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
  const g = gcd(numerator, denominator);
  const n = numerator / g;
  const d = denominator / g;
  return d === 1n ? `${n}` : `${n}/${d}`;
}

describe('parseQuantity: the Kubernetes grammar', () => {
  it.each([
    ['1', '1'],
    ['0', '0'],
    ['100m', '1/10'],
    ['1500m', '3/2'],
    ['0.5', '1/2'],
    ['.5', '1/2'],
    ['5.', '5'],
    ['+2', '2'],
    ['-1', '-1'],
    ['1k', '1000'],
    ['1M', '1000000'],
    ['1G', '1000000000'],
    ['1T', '1000000000000'],
    ['1P', '1000000000000000'],
    ['2E', '2000000000000000000'],
    ['1Ki', '1024'],
    ['1Mi', '1048576'],
    ['1.5Gi', '1610612736'],
    ['1Ti', String(2n ** 40n)],
    ['1Pi', String(2n ** 50n)],
    ['1Ei', String(2n ** 60n)],
    ['8Ei', String(2n ** 63n)],
    ['1e3', '1000'],
    ['1E3', '1000'],
    ['1e-3', '1/1000'],
    ['1.5e+2', '150'],
    ['0.1m', '1/10000'],
    ['250000000n', '1/4'],
    ['1500u', '3/2000'],
    ['00012', '12'],
    ['123456789012345678901234567890', '123456789012345678901234567890'],
  ])('%s = %s', (text, expected) => {
    expect(value(text)).toBe(expected);
  });

  it('accepts JSON numbers', () => {
    expect(value(2)).toBe('2');
    expect(value(0.25)).toBe('1/4');
    expect(value(1e21)).toBe('1000000000000000000000');
  });

  it.each([
    ['', 'empty'],
    ['m', 'no digits'],
    ['.', 'no digits'],
    ['1K', 'invalid suffix'],
    ['1ki', 'invalid suffix'],
    ['1KiB', 'invalid suffix'],
    ['1Mb', 'invalid suffix'],
    ['1N', 'invalid suffix'],
    ['1U', 'invalid suffix'],
    ['1µ', 'invalid suffix'],
    ['1 Mi', 'invalid suffix'],
    [' 1', 'no digits'],
    ['1e', 'invalid suffix'],
    ['1e+', 'invalid exponent'],
    ['1e1.5', 'invalid suffix'],
    ['1e3Mi', 'invalid suffix'],
    ['1.2.3', 'invalid suffix'],
    ['--1', 'no digits'],
    ['0x10', 'invalid suffix'],
    ['1_000', 'invalid suffix'],
    ['Infinity', 'no digits'],
    ['NaN', 'no digits'],
    ['１', 'no digits'], // fullwidth digit
    ['1٠', 'invalid suffix'], // Arabic-Indic zero
    ['1e1000', 'exponent out of range'],
    ['1e99999999999999999999', 'exponent out of range'],
    ['9'.repeat(65), 'longer than 64'],
    ['1__proto__', 'invalid suffix'],
    ['1constructor', 'invalid suffix'],
    ['1toString', 'invalid suffix'],
  ])('%j is malformed (%s)', (text, reason) => {
    const r = parseQuantity(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it.each([[null], [undefined], [true], [{}], [[]], [Number.NaN], [Number.POSITIVE_INFINITY]])('non-quantity %j is malformed', (v) => {
    expect(parseQuantity(v).ok).toBe(false);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.double(), fc.anything()), (v) => {
        const r = parseQuantity(v);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('compareQuantities: exact', () => {
  it.each([
    ['100m', '0.1', 0],
    ['1', '1000m', 0],
    ['1Gi', '1073741824', 0],
    ['1G', '1Gi', -1],
    ['1025Mi', '1Gi', 1],
    ['999m', '1', -1],
    ['0.1', '100m', 0],
    ['1e3', '1k', 0],
    ['128974848', '129e6', -1],
    ['129M', '123Mi', 1],
    ['0.30000000000000004', '0.3', 1], // floats would get this wrong in the other direction elsewhere
    ['9007199254740993', '9007199254740992', 1], // beyond float precision
    ['-1', '0', -1],
  ])('%s vs %s = %d', (a, b, expected) => {
    expect(compareQuantities(q(a), q(b))).toBe(expected);
    expect(compareQuantities(q(b), q(a))).toBe(0 - expected + 0);
  });

  it('the double shortcut agrees with exact BigInt comparison, near-equal values included', () => {
    const suffix = fc.constantFrom('', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'e3', 'e-3', 'E18');
    const parts = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.nat({ max: 999_999 }), suffix);
    const exact = (a: Quantity, b: Quantity): number => {
      const d = a.numerator * b.denominator - b.numerator * a.denominator;
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    };
    fc.assert(
      fc.property(parts, parts, fc.boolean(), ([i, f, s], other, nearby) => {
        const a = q(`${i}.${f}${s}`);
        // Either an unrelated quantity or one a hair apart (one more fraction digit).
        const b = nearby ? q(`${i}.${f}1${s}`) : q(`${other[0]}.${other[1]}${other[2]}`);
        expect(a.approx).toBeDefined();
        expect(compareQuantities(a, b)).toBe(exact(a, b));
        expect(compareQuantities(b, a)).toBe(exact(b, a));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with integer arithmetic for milli and binary forms', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.nat({ max: 10_000 }), (milli, mebi) => {
        const a = q(`${milli}m`);
        const b = q(`${mebi}Mi`);
        const exact = BigInt(milli) * 1n - BigInt(mebi) * 1048576n * 1000n;
        expect(compareQuantities(a, b)).toBe(exact < 0n ? -1 : exact > 0n ? 1 : 0);
      }),
    );
  });
});

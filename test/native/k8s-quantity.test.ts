/**
 * The harness's Kubernetes quantity library (k8s-quantity.ts) against documented Kubernetes
 * behaviour: the examples of https://kubernetes.io/docs/reference/using-api/cel/ (Kubernetes
 * quantity library table), those of the library's own documentation and tests in
 * k8s.io/apiserver/pkg/cel/library (quantity.go), and resource.Quantity's grammar; then the parser
 * against the engine's independent one (runtime/engine/quantity.ts) on generated strings. Also the
 * lists `indexOf` and regex `find` functions supplied with it (k8s-library.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuantity } from '../../runtime/engine/quantity';
import { program } from './cel-harness';
import { parseK8sQuantity } from './k8s-quantity';

const run = (expression: string, ctx: Record<string, unknown> = {}): unknown => program(expression)(ctx);

describe('Kubernetes quantity library in the harness: documented examples', () => {
  it.each([
    // kubernetes.io CEL reference, quantity library examples
    ['quantity("500000G").isInteger()', true],
    ['quantity("50k").asInteger()', 50000n],
    ['quantity("50k").add(quantity("20k")) == quantity("70k")', true],
    ['quantity("50k").sub(20000) == quantity("30k")', true],
    ['quantity("50k").add(20).sub(quantity("100k")).sub(-50000) == quantity("20")', true],
    ['quantity("200M").compareTo(quantity("0.2G"))', 0n],
    ['quantity("150Mi").isGreaterThan(quantity("100Mi"))', true],
    ['quantity("50M").isLessThan(quantity("100M"))', true],
    // k8s.io/apiserver/pkg/cel/library quantity.go documentation and tests
    ['quantity("50k").add(20).sub(-50000).asInteger()', 100020n],
    ['quantity("50k").sub(20000).asApproximateFloat() == 30000.0', true],
    ['quantity("50M").compareTo(quantity("50Mi"))', -1n],
    ['quantity("50Mi").compareTo(quantity("50M"))', 1n],
    ['quantity("50M").isGreaterThan(quantity("100M"))', false],
    ['quantity("50k").add(quantity("20")) == quantity("50.02k")', true],
    ['quantity("50k").add(20).isLessThan(quantity("50020"))', false],
    ['quantity("50k").sub(quantity("20")) == quantity("49.98k")', true],
    ['quantity("50k").sub(20) == quantity("49980")', true],
    ['quantity("50k").add(20).sub(quantity("100k")).asInteger()', -49980n],
    ['quantity("2M") == quantity("0.002G") && quantity("2000k") == quantity("2M") && quantity("0.002G") == quantity("2000k")', true],
    ['isQuantity("20") && isQuantity("200M") && isQuantity("20Mi")', true],
    ['quantity("20").isInteger()', true],
    ['quantity("50k").sign()', 1n],
    ['quantity("-50k").sign()', -1n],
    ['quantity("0").sign()', 0n],
    // resource.Quantity semantics: binary and decimal SI, exponents, fractions
    ['quantity("1Gi").asInteger()', 1073741824n],
    ['quantity("1e3").asInteger()', 1000n],
    ['quantity("1E").asInteger()', 1000000000000000000n],
    ['quantity("1m").isInteger()', false],
    ['quantity("1000m") == quantity("1")', true],
    ['quantity("1.5Gi") == quantity("1536Mi")', true],
    ['quantity("12345n").compareTo(quantity("12u"))', 1n],
    ['quantity("10E").isInteger()', false],
    ['quantity("-0").sign()', 0n],
  ])('%s', (expression, expected) => {
    expect(run(expression)).toEqual(expected);
  });

  it('asApproximateFloat is lossy but close (documented: 9999999999999999999999999999999999999G)', () => {
    expect(run('quantity("9999999999999999999999999999999999999G").asApproximateFloat()')).toBeCloseTo(1e46, -31);
  });

  it('errors where Kubernetes errors: quantity() of an invalid string, asInteger() of a fraction or beyond int64', () => {
    expect(() => run('quantity("Three")')).toThrow();
    expect(() => run('quantity("1m").asInteger()')).toThrow();
    expect(() => run('quantity("10E").asInteger()')).toThrow();
  });

  it('isQuantity follows resource.Quantity\'s grammar', () => {
    const valid = ['0', '1', '+1', '-1', '.5', '1.', '1.5', '100m', '12345n', '3u', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei', '1e3', '1E3', '1e-3', '1e+3', '1.5e3'];
    const invalid = ['', 'Three', ' 1', '1 ', '1K', '1ki', '1KI', '--1', '+-1', '.', '1e', '1E+', '1e1.5', '1.2.3', 'e3', '1Mi5', '1 Gi', '0x10', '1_000', '∞'];
    for (const s of valid) expect(run('isQuantity(s)', { s }), s).toBe(true);
    for (const s of invalid) expect(run('isQuantity(s)', { s }), s).toBe(false);
  });

  it('the parser agrees with the engine\'s on every string both bound (≤ 64 characters, exponents ≤ 100)', () => {
    const piece = fc.constantFrom('', '+', '-', '0', '1', '5', '9', '.', 'e', 'E', 'k', 'm', 'n', 'u', 'M', 'G', 'T', 'P', 'Ki', 'Mi', 'Gi', 'Ei', 'i', '100', '101', 'x');
    let valid = 0;
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }).map((p) => p.join('')), (s) => {
        const engine = parseQuantity(s);
        const k8s = parseK8sQuantity(s);
        if (engine.ok) {
          valid += 1;
          expect(k8s, s).toBeDefined();
          const q = k8s as NonNullable<typeof k8s>;
          expect(q.numerator * engine.quantity.denominator, s).toBe(engine.quantity.numerator * q.denominator);
        } else if (!/^(exponent out of range|longer than)/.test(engine.reason)) {
          expect(k8s, `${s}: ${engine.reason}`).toBeUndefined();
        }
      }),
      { numRuns: 5000 },
    );
    expect(valid).toBeGreaterThan(300);
  });
});

describe('Kubernetes lists indexOf and regex find in the harness', () => {
  it('indexOf: the first equal element (deep for maps), -1 without one', () => {
    expect(run('[1, 2, 3, 2].indexOf(2)')).toBe(1n);
    expect(run('["a", "b"].indexOf("c")')).toBe(-1n);
    expect(run('l.indexOf(x)', { l: [{ name: 'a', mountPath: '/a' }, { name: 'a', mountPath: '/b' }], x: { name: 'a', mountPath: '/b' } })).toBe(1n);
  });

  it('find: the first match, "" without one', () => {
    expect(run('"abc 123 def".find("[0-9]+")')).toBe('123');
    expect(run('"12.5Mi".find("^[+-]?[0-9]*(\\\\.[0-9]*)?")')).toBe('12.5');
    expect(run('"abc".find("[0-9]+")')).toBe('');
  });
});

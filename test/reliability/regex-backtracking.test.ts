/**
 * Policy patterns run against attacker-chosen values (label values, certificate identities): the
 * safe-regex gate must refuse every shape that backtracks badly — nested repetition (tested with
 * the engine's rules) and also flat sequences of overlapping quantifiers, which are polynomial with
 * a high degree (`a*a*a*a*a*a*b` on a 63-character label value ran for seconds before the limit).
 * Structural assertions only; the timing lives in `npm run fuzz` (adversarial section).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPattern, MAX_WIDE_QUANTIFIERS } from '../../runtime/engine/safe-regex';

describe('regular expressions from policies', () => {
  it.each([
    'a*a*a*a*a*a*b',
    '[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*!',
    '(a*)(a*)(a*)(a*)(a*)(a*)(a*)b',
    '.*.*.*.*.*.*.*.*=x',
    'a{0,30}a{0,30}a{0,30}a{0,30}a{0,30}b',
    `${'a?'.repeat(30)}${'a'.repeat(30)}`,
  ])('refuses flat high-degree backtracking: %s', (p) => {
    expect(checkPattern(p)).toMatch(/quantifiers/);
  });

  it.each([
    'v?[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?',
    '[a-z0-9]([-a-z0-9]*[a-z0-9])?',
    '[a-z]+(-[a-z]+)*',
    'https://github\\.com/org/[^/]+/\\.github/workflows/.*@refs/heads/main',
    'production|staging',
    '[a-z]{2,8}',
  ])('still accepts the patterns policies use: %s', (p) => {
    expect(checkPattern(p)).toBeUndefined();
  });

  it('accepts at most the limit of unbounded quantifiers, whatever they quantify', () => {
    const atom = fc.constantFrom('a', '.', '[a-z]', '\\d', '(?:ab)', '[^/]');
    const quant = fc.constantFrom('*', '+', '{2,}', '{0,9}');
    fc.assert(
      fc.property(fc.array(fc.tuple(atom, quant), { minLength: 1, maxLength: 10 }), (parts) => {
        const pattern = parts.map(([a, q]) => a + q).join('');
        expect(checkPattern(pattern) === undefined, pattern).toBe(parts.length <= MAX_WIDE_QUANTIFIERS);
      }),
      { numRuns: 300 },
    );
  });
});

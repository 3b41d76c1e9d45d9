/**
 * Selector algebra used to fold match/exclude into webhook selectors, checked against the engine's
 * label-selector evaluator (the API server's semantics) over generated label sets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LabelSelector, LabelSelectorRequirement } from '../../runtime/bundle';
import { matchesLabelSelector } from '../../runtime/engine/label-selector';
import { andSelectors, negateSelector, normalizeSelector, unsatisfiableReason } from '../../constructs/selectors';

const keys = fc.constantFrom('a', 'b', 'c');
const values = fc.constantFrom('x', 'y', 'z');
const labelSet = fc.dictionary(keys, values, { maxKeys: 3 });
const requirement: fc.Arbitrary<LabelSelectorRequirement> = fc.oneof(
  fc.record({ key: keys, operator: fc.constantFrom('In' as const, 'NotIn' as const), values: fc.uniqueArray(values, { minLength: 1, maxLength: 2 }) }),
  fc.record({ key: keys, operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const) }),
);
const selector: fc.Arbitrary<LabelSelector> = fc.record(
  { matchLabels: fc.dictionary(keys, values, { maxKeys: 2 }), matchExpressions: fc.array(requirement, { maxLength: 3 }) },
  { requiredKeys: [] },
);
const allLabelSets: Array<Record<string, string>> = (() => {
  // 'w' never appears in a generated selector: it witnesses "a value outside every list".
  const opts = [undefined, 'x', 'y', 'z', 'w'];
  const out: Array<Record<string, string>> = [];
  for (const a of opts) for (const b of opts) for (const c of opts) {
    const l: Record<string, string> = {};
    if (a !== undefined) l.a = a;
    if (b !== undefined) l.b = b;
    if (c !== undefined) l.c = c;
    out.push(l);
  }
  return out;
})();

describe('selector algebra', () => {
  it('negation of a one-requirement selector matches exactly the label sets it does not', () => {
    fc.assert(
      fc.property(requirement, labelSet, (req, labels) => {
        const neg = negateSelector({ matchExpressions: [req] });
        expect(typeof neg).not.toBe('string');
        expect(matchesLabelSelector(neg as LabelSelector, labels)).toBe(!matchesLabelSelector({ matchExpressions: [req] }, labels));
      }),
    );
    const fromLabels = negateSelector({ matchLabels: { env: 'prod' } }) as LabelSelector;
    expect(matchesLabelSelector(fromLabels, { env: 'prod' })).toBe(false);
    expect(matchesLabelSelector(fromLabels, {})).toBe(true);
  });

  it('refuses to negate selectors whose negation is an OR, or the empty selector', () => {
    expect(negateSelector({ matchLabels: { a: 'x', b: 'y' } })).toMatch(/several requirements/);
    expect(negateSelector({})).toMatch(/matches everything/);
  });

  it('conjunction matches exactly when every part matches, and is normalized', () => {
    fc.assert(
      fc.property(selector, selector, labelSet, (s1, s2, labels) => {
        expect(matchesLabelSelector(andSelectors(s1, s2), labels)).toBe(matchesLabelSelector(s1, labels) && matchesLabelSelector(s2, labels));
      }),
    );
    expect(andSelectors({ matchExpressions: [{ key: 'n', operator: 'NotIn', values: ['b'] }] }, { matchExpressions: [{ key: 'n', operator: 'NotIn', values: ['a', 'b'] }] })).toEqual({
      matchExpressions: [{ key: 'n', operator: 'NotIn', values: ['a', 'b'] }],
    });
  });

  it('normalization keeps the meaning', () => {
    fc.assert(
      fc.property(selector, labelSet, (s, labels) => {
        expect(matchesLabelSelector(normalizeSelector(s), labels)).toBe(matchesLabelSelector(s, labels));
      }),
    );
  });

  it('reports "matches nothing" exactly when no label set matches (exhaustive over a small universe)', () => {
    fc.assert(
      fc.property(selector, (s) => {
        const someMatch = allLabelSets.some((l) => matchesLabelSelector(s, l));
        expect(unsatisfiableReason(s) === undefined).toBe(someMatch);
      }),
    );
  });
});

/**
 * The JSON rendering of strings and string lists in the Pod Security controls' CEL
 * (runtime/native/pss/findings.ts jsonStringCel, jsonStringListCel) against JSON.stringify, which
 * the engine's `show` uses (runtime/engine/pss/check.ts), over every escaped character and
 * generated strings (code points of the whole range; no lone surrogates, which CEL strings lack).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dedupCel, jsonStringCel, jsonStringListCel } from '../../runtime/native/pss/findings';
import { program } from './cel-harness';

const asString = program(jsonStringCel('s'));
const asList = program(jsonStringListCel('l'));
const dedup = program(dedupCel('l'));

describe('JSON rendering in CEL', () => {
  it('escapes quotes, backslashes and every control character as JSON.stringify does', () => {
    const all = Array.from({ length: 0x80 }, (_, c) => String.fromCharCode(c)).join('') + '\u2028\u2029é😀';
    expect(asString({ s: all })).toBe(JSON.stringify(all));
    expect(asString({ s: '' })).toBe('""');
    expect(asList({ l: [] })).toBe('[]');
  });

  it('renders generated strings and lists exactly as JSON.stringify', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', 'a', ' '), fc.string({ unit: 'grapheme', maxLength: 1 })), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(text, { maxLength: 4 }), (l) => {
        expect(asList({ l })).toBe(JSON.stringify(l));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps each value once where it first occurs, 16 distinct values deep', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('A', 'B', 'C', 'D', 'E', ''), { maxLength: 12 }), (l) => {
        expect(dedup({ l })).toEqual([...new Set(l)]);
      }),
      { numRuns: 300 },
    );
  });
});

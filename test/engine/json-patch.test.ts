import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyPatch, deepClone } from 'fast-json-patch';
import { applyJsonPatch, applyJsonPatchCopyOnWrite, JsonPatchError } from '../../runtime/engine/json-patch';
import type { JsonPatchOperation } from '../../runtime/engine/types';

describe('applyJsonPatch', () => {
  const doc = { spec: { containers: [{ name: 'a', 'x/y': 1, 'm~n': 2 }] } };

  it('adds, replaces, removes and tests without touching the input', () => {
    const ops: JsonPatchOperation[] = [
      { op: 'test', path: '/spec/containers/0/name', value: 'a' },
      { op: 'add', path: '/spec/containers/0/resources', value: { limits: { cpu: '1' } } },
      { op: 'replace', path: '/spec/containers/0/x~1y', value: 3 },
      { op: 'remove', path: '/spec/containers/0/m~0n' },
      { op: 'add', path: '/spec/containers/-', value: { name: 'b' } },
    ];
    const out = applyJsonPatch(doc, ops);
    expect(out).toEqual({ spec: { containers: [{ name: 'a', 'x/y': 3, resources: { limits: { cpu: '1' } } }, { name: 'b' }] } });
    expect(doc.spec.containers).toHaveLength(1);
  });

  it('copy-on-write shares inserted values but never changes them or the input', () => {
    const input = { spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
    const snapshot = JSON.stringify(input);
    const first: JsonPatchOperation[] = [{ op: 'add', path: '/spec/containers/0/resources', value: { limits: { cpu: '1' } } }];
    const own = new Set<object>();
    const once = applyJsonPatchCopyOnWrite(input, first, own) as typeof input;
    // A later mutator writes below the inserted value: the earlier operation's value stays as emitted.
    const twice = applyJsonPatchCopyOnWrite(once, [{ op: 'add', path: '/spec/containers/0/resources/requests', value: { cpu: '1' } }], own);
    expect(first[0].value).toEqual({ limits: { cpu: '1' } });
    expect(JSON.stringify(input)).toBe(snapshot);
    expect(twice).toEqual({ spec: { containers: [{ name: 'a', resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } }, { name: 'b' }] } });
    // Unpatched containers stay shared with the input.
    expect((twice as typeof input).spec.containers[1]).toBe(input.spec.containers[1]);
  });

  it('rejects operations on missing paths and failed tests', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/spec/nope', value: 1 }])).toThrow(JsonPatchError);
    expect(() => applyJsonPatch(doc, [{ op: 'add', path: '/spec/nope/deeper', value: 1 }])).toThrow(JsonPatchError);
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/spec/containers/0/name', value: 'b' }])).toThrow(/test failed/);
    expect(() => applyJsonPatch(doc, [{ op: 'remove', path: '/spec/containers/5' }])).toThrow(/out of bounds/);
  });

  it('agrees with fast-json-patch on random add/replace operations', () => {
    const key = fc.constantFrom('a', 'b', 'c/d', 'e~f');
    fc.assert(
      fc.property(fc.dictionary(key, fc.integer()), key, fc.integer(), (obj, k, v) => {
        const path = `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        const op: JsonPatchOperation = { op: k in obj ? 'replace' : 'add', path, value: v };
        const expected = applyPatch(deepClone(obj), [op as never]).newDocument;
        expect(applyJsonPatch(obj, [op])).toEqual(expected);
      }),
    );
  });
});

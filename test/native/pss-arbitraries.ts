/**
 * fast-check generators shared by the Pod Security differential tests (pod-security.test.ts,
 * pod-security-b.test.ts): optional members, exemption scopes, exemptions from a per-file control
 * entry generator, and podSecurity policies at both levels over a list of versions.
 */
import fc from 'fast-check';
import type { Exemption, Policy } from '../../runtime/bundle';
import type { PssLevel } from '../../runtime/engine/pss/check';
import { KINDS, pssPolicy } from './pss-oracle';

/** Mostly undefined: exemptions in scope more often than not. */
export function rarely<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });
}

export function maybe<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arb, { nil: undefined });
}

/** The record without its undefined entries. */
export function defined(r: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
}

export const selector = fc.record({ matchLabels: fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db'), { minKeys: 1, maxKeys: 1 }) });

export const IMAGE_GLOBS = rarely(fc.constantFrom(['registry.example.com/**'], ['nginx', 'bad glob'], ['**/app:v1']));

/** Exemptions with a generated scope and up to three control entries drawn from `entry`. */
export function exemptionArb(entry: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Exemption> {
  return fc
    .record({
      namespaces: rarely(fc.subarray(['apps', 'apps-*', 'team-?', 'ops', '*'])),
      objectSelector: rarely(selector),
      namespaceSelector: rarely(selector),
      controls: fc.array(entry, { maxLength: 3 }),
    })
    .map((e) => {
      const out: Exemption = { name: 'ex', owner: 'o', reason: 'r', controls: e.controls.map((c) => defined(c) as Exemption['controls'][number]) };
      if (e.namespaces !== undefined) out.namespaces = e.namespaces;
      if (e.objectSelector !== undefined) out.objectSelector = e.objectSelector;
      if (e.namespaceSelector !== undefined) out.namespaceSelector = e.namespaceSelector;
      return out;
    });
}

/** podSecurity policies at either level, one of `versions`, over some kinds, with up to three exemptions. */
export function pssPolicyArb(exemptions: fc.Arbitrary<Exemption>, versions: readonly string[]): fc.Arbitrary<Policy> {
  return fc
    .record({
      level: fc.constantFrom<PssLevel>('baseline', 'restricted'),
      version: fc.constantFrom(...versions),
      kinds: fc.subarray(KINDS, { minLength: 1 }),
      mode: fc.constantFrom<'Audit' | 'Enforce'>('Audit', 'Enforce'),
      exemptions: fc.array(exemptions, { maxLength: 3 }),
      help: maybe(fc.constantFrom('https://example.com/ask', 'ask #platform (allowed: never)  ')),
    })
    .map((p) => pssPolicy(p.level, p.version, { kinds: p.kinds, mode: p.mode, exemptions: p.exemptions.map((e, i) => ({ ...e, name: `ex-${i}` })), ...(p.help !== undefined ? { help: p.help } : {}) }));
}

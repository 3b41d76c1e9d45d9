/**
 * Every CEL function and macro the generated expressions call must exist in the Kubernetes 1.30
 * CEL environment (the minimum version of admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy).
 * The environment, as documented:
 * - CEL standard definitions: https://github.com/google/cel-spec/blob/master/doc/langdef.md#list-of-standard-definitions
 * - Kubernetes CEL libraries (strings ext v2 since 1.29, optional types since 1.28, regex, lists):
 *   https://kubernetes.io/docs/reference/using-api/cel/#cel-options-language-features-and-libraries
 * - Optional types: https://pkg.go.dev/github.com/google/cel-go/cel#OptionalTypes
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POD_TARGET, type Policy, type Rule } from '../../runtime/bundle';
import { compilePolicy } from '../../runtime/native';
import { podSecurityCompiler } from '../../runtime/native/pod-security';
import { NATIVE_PSS_CONTROLS } from '../../runtime/native/pss/registry';
import { expressionsOf } from './cel-harness';
import { compileForTest } from './differential';
import { policyArb } from './policy-arbitrary';

/** Functions and macros available to a ValidatingAdmissionPolicy on Kubernetes 1.30. */
const KUBERNETES_1_30: Readonly<Record<string, string>> = {
  // CEL standard definitions and macros
  has: 'standard macro',
  all: 'standard macro',
  exists: 'standard macro',
  exists_one: 'standard macro',
  map: 'standard macro',
  filter: 'standard macro',
  size: 'standard',
  string: 'standard',
  int: 'standard',
  bytes: 'standard (conversion; size() of bytes counts bytes)',
  contains: 'standard',
  startsWith: 'standard',
  endsWith: 'standard',
  matches: 'standard (RE2)',
  // cel-go ext.Strings version 2 (Kubernetes 1.29+)
  charAt: 'strings ext',
  indexOf: 'strings ext',
  lastIndexOf: 'strings ext',
  lowerAscii: 'strings ext',
  upperAscii: 'strings ext',
  replace: 'strings ext',
  split: 'strings ext',
  substring: 'strings ext',
  trim: 'strings ext',
  join: 'strings ext',
  // optional types (Kubernetes 1.28+)
  'optional.of': 'optional types',
  'optional.none': 'optional types',
  hasValue: 'optional types',
  value: 'optional types',
  orValue: 'optional types',
  // Kubernetes regex library
  find: 'kubernetes regex library',
  findAll: 'kubernetes regex library',
  // Kubernetes quantity library (1.28+): https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-quantity-library
  quantity: 'kubernetes quantity library',
  isQuantity: 'kubernetes quantity library',
  sign: 'kubernetes quantity library',
  isInteger: 'kubernetes quantity library',
  asInteger: 'kubernetes quantity library',
  asApproximateFloat: 'kubernetes quantity library',
  add: 'kubernetes quantity library',
  sub: 'kubernetes quantity library',
  compareTo: 'kubernetes quantity library',
  isGreaterThan: 'kubernetes quantity library',
  isLessThan: 'kubernetes quantity library',
};

/** Function names called in a CEL expression (string literals removed first). */
export function functionsUsed(expression: string): string[] {
  const code = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const out = new Set<string>();
  for (const m of code.matchAll(/(\.?)([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\(/g)) {
    const name = m[2];
    out.add(name.startsWith('optional.') ? name : (name.split('.').pop() as string));
  }
  return [...out].sort();
}

describe('CEL functions of generated policies', () => {
  const bundle = JSON.parse(readFileSync(path.resolve(__dirname, '../../dist/portcullis-bundle.json'), 'utf8')) as { policies: Policy[] };

  it('finds calls, macros and receiver functions, and ignores string contents', () => {
    expect(functionsUsed('has(a.b) && x.y.matches("f(") && optional.of(1).orValue(2) && l.map(c, c.name).join(" | ")')).toEqual(
      ['has', 'join', 'map', 'matches', 'optional.of', 'orValue'],
    );
  });

  it('use only functions of the Kubernetes 1.30 CEL environment', () => {
    const used = new Set<string>();
    for (const p of bundle.policies) {
      const objects = compileForTest(p, bundle.policies).objects;
      if (objects !== undefined) for (const e of expressionsOf(objects)) functionsUsed(e).forEach((f) => used.add(f));
    }
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((f) => KUBERNETES_1_30[f] === undefined)).toEqual([]);
  });

  it('use only functions of the Kubernetes 1.30 CEL environment in compiled requireResources and hostPaths rules', () => {
    const used = new Set<string>();
    const rules = [
      { name: 'res', type: 'requireResources', limits: ['cpu', 'memory'], requests: ['cpu'], maxLimits: { cpu: '2', memory: '1Gi' }, target: POD_TARGET },
      { name: 'paths', type: 'hostPaths', allowed: [{ pathPrefix: '/var/log', readOnly: true }, { pathPrefix: '/data', readOnly: false }], target: POD_TARGET },
    ] as Rule[];
    const policy: Policy = {
      name: 'p', mode: 'Enforce', failurePolicy: 'Fail', timeoutSeconds: 10, controllers: [], match: { kinds: ['Pod'], operations: ['CREATE'] }, rules,
      exemptions: [{ name: 'e', owner: 'o', reason: 'r', namespaces: ['a-*'], controls: [{ control: 'requireResources', values: ['cpu'] }, { control: 'hostPaths', values: ['/x'] }] }],
    };
    const compiled = compileForTest(policy);
    expect(compiled.results.map((r) => r.kind)).toEqual(['compiled', 'compiled']);
    for (const e of expressionsOf(compiled.objects as NonNullable<typeof compiled.objects>)) functionsUsed(e).forEach((f) => used.add(f));
    expect(used).toContain('quantity');
    expect([...used].filter((f) => KUBERNETES_1_30[f] === undefined)).toEqual([]);
  });

  it('use only functions of the Kubernetes 1.30 CEL environment in every compiled Pod Security control', () => {
    const used = new Set<string>();
    for (const level of ['baseline', 'restricted'] as const) {
      const rule = { name: 'pss', type: 'podSecurity', level, version: 'latest', target: POD_TARGET } as Rule;
      const controls = NATIVE_PSS_CONTROLS.map((c) => ({ control: c.id, images: ['registry.example.com/**'], values: ['x'] }));
      const policy: Policy = {
        name: 'pss', mode: 'Enforce', failurePolicy: 'Fail', timeoutSeconds: 10, controllers: [], match: { kinds: ['Pod'], operations: ['CREATE'] }, rules: [rule],
        exemptions: [{ name: 'e', owner: 'o', reason: 'r', namespaces: ['a-*'], controls }],
      };
      for (const c of NATIVE_PSS_CONTROLS) {
        const objects = compilePolicy(policy, { selectors: { namespaceSelector: {} }, families: { podSecurity: podSecurityCompiler(NATIVE_PSS_CONTROLS, c.id) } }).objects;
        if (objects !== undefined) for (const e of expressionsOf(objects)) functionsUsed(e).forEach((f) => used.add(f));
      }
    }
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((f) => KUBERNETES_1_30[f] === undefined)).toEqual([]);
  });

  it('use only functions of the Kubernetes 1.30 CEL environment in the policies generated for fast-check policies (test/native/policy-arbitrary.ts)', () => {
    const used = new Set<string>();
    fc.assert(
      fc.property(policyArb, (policy) => {
        const objects = compileForTest(policy).objects;
        if (objects === undefined) return;
        for (const e of expressionsOf(objects)) functionsUsed(e).forEach((f) => used.add(f));
        expect([...used].filter((f) => KUBERNETES_1_30[f] === undefined)).toEqual([]);
      }),
      { numRuns: 200 },
    );
    expect(used.size).toBeGreaterThan(10);
  });
});

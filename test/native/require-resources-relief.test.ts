/**
 * requireResources with the Pod-defaults relief (runtime/engine/pod-defaults-relief.ts) compiled
 * to CEL: a controller is judged as its Pods will be after the bundle's Pod defaults. Compiled with
 * the bundle's policies (CompileOptions.podDefaults) and compared with the engine given the same
 * bundle: the reference set, and generated bundles — resource and seccomp defaults in Enforce or
 * Audit policies with namespace globs, object selectors (controller labels among them), namespace
 * selectors, exclusions and operations — with templates, containers and exemptions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { webhookSelectors } from '../../constructs/webhook-groups';
import type { LabelSelector, Policy, Rule } from '../../runtime/bundle';
import { compilePolicy, type CompiledPolicy } from '../../runtime/native';
import type { NativeRequest } from './cel-harness';
import { compare, compileForTest, expectEqual, NEVER } from './differential';
import { alterVariable, autogen, exemptionArb, fixtureWorkloads, KINDS, policyOf, referenceBundle, requestArb, requestFor, upstreamPods, workload } from './family-fixtures';

const bundle = referenceBundle();
const CONTROLLERS = KINDS.filter((k) => k !== 'Pod');

function compileWith(policy: Policy, podDefaults: readonly Policy[]): CompiledPolicy {
  const selectors = webhookSelectors(policy.match, policy.exclude, NEVER);
  if (typeof selectors === 'string') throw new Error(selectors);
  return compilePolicy(policy, { selectors, podDefaults });
}

describe('requireResources with the Pod-defaults relief: the reference set', () => {
  const policy = bundle.policies.find((p) => p.name === 'resource-limits') as Policy;

  it('compiles limits-required given the bundle (refused without it)', () => {
    expect(compileForTest(policy).results[0].kind).toBe('notExpressible');
    expect(compileWith(policy, bundle.policies).results.map((r) => r.kind)).toEqual(['compiled']);
  });

  it('decides every reference fixture workload and upstream Pod Security fixture Pod as the engine given the bundle', () => {
    const compiled = compileWith(policy, bundle.policies);
    let denied = 0;
    const requests = [...fixtureWorkloads(), ...upstreamPods('payments')];
    for (const req of requests) if (expectEqual(policy, compiled, req, bundle.policies).native['limits-required'] !== undefined) denied += 1;
    expect(denied).toBeGreaterThan(500);
  });

  it('judges a controller after the defaults, with the engine’s note where a finding names a defaulted value', () => {
    const compiled = compileWith(policy, bundle.policies);
    const deployment = (resources: unknown): NativeRequest =>
      requestFor(workload('Deployment', undefined, { spec: { containers: [{ name: 'app', image: 'x', ...(resources === undefined ? {} : { resources }) }] } }), 'apps') as NativeRequest;
    expect(expectEqual(policy, compiled, deployment(undefined), bundle.policies).native).toEqual({});
    const line = expectEqual(policy, compiled, deployment({ limits: { memory: '-1Gi' } }), bundle.policies).native['limits-required'];
    expect(line).toContain('resources.limits.memory=-1Gi is not allowed: quantities must not be negative');
  });
});

/** `undefined` four times out of five. */
function rarely<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

const selectorArb: fc.Arbitrary<LabelSelector> = fc.constantFrom<LabelSelector>(
  { matchLabels: { tier: 'web' } },
  { matchLabels: { 'job-name': 'x' } },
  { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] },
  { matchExpressions: [{ key: 'batch.kubernetes.io/job-name', operator: 'DoesNotExist' }] },
);

/** A defaults policy (defaultResources or defaultSeccomp) with the ways a policy selects Pods. */
function defaultsPolicyArb(name: string, rule: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Policy> {
  return fc
    .record({
      mode: fc.constantFrom<'Audit' | 'Enforce'>('Enforce', 'Enforce', 'Enforce', 'Audit'),
      kinds: fc.constantFrom(['Pod'], KINDS, KINDS, ['Deployment']),
      operations: fc.constantFrom<('CREATE' | 'UPDATE')[][]>(['CREATE', 'UPDATE'], ['CREATE', 'UPDATE'], ['CREATE', 'UPDATE'], ['UPDATE']),
      namespaces: rarely(fc.subarray(['apps', 'apps-*', 'ops'])),
      objectSelector: rarely(selectorArb),
      namespaceSelector: rarely(fc.constant<LabelSelector>({ matchLabels: { env: 'prod' } })),
      exclude: rarely(fc.constantFrom<NonNullable<Policy['exclude']>>({ namespaces: ['ops'] }, { objectSelector: { matchLabels: { app: 'db' } } })),
      rule,
    })
    .map((p) => {
      const policy = policyOf(name, p.mode, p.kinds, [{ ...p.rule, name: 'defaults', target: autogen({ name: 'x', type: 'defaultResources' }, ['Pod'])[0].target } as unknown as Rule], [], p.operations);
      if (p.namespaces !== undefined) policy.match.namespaces = p.namespaces;
      if (p.objectSelector !== undefined) policy.match.objectSelector = p.objectSelector;
      if (p.namespaceSelector !== undefined) policy.match.namespaceSelector = p.namespaceSelector;
      if (p.exclude !== undefined) policy.exclude = p.exclude;
      return policy;
    });
}

const pair = (values: readonly string[]): fc.Arbitrary<Record<string, string>> =>
  fc.record({ cpu: fc.constantFrom(...values), memory: fc.constantFrom(...values) }, { requiredKeys: [] });
const resourceDefaultsArb = defaultsPolicyArb(
  'res-defaults',
  fc.record({ type: fc.constant('defaultResources'), limits: pair(['500m', '1', '2', '512Mi', '1Gi', '-1']), requests: pair(['100m', '1', '3', '128Mi', '2Gi']) }),
);
const seccompDefaultsArb = defaultsPolicyArb('seccomp-defaults', fc.constant({ type: 'defaultSeccomp', profile: 'RuntimeDefault' }));

const QUANTITIES = ['100m', '500m', '1', '2', '0.5', '128Mi', '1Gi', '2Gi', '-1', 'abc', '1e101'];
const blockArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 3, arbitrary: fc.record({ cpu: fc.constantFrom(...QUANTITIES), memory: fc.constantFrom(...QUANTITIES) }, { requiredKeys: [] }) },
);
const containerArb = fc
  .record({ limits: blockArb, requests: blockArb, noResources: fc.boolean(), seccomp: fc.boolean() })
  .map(({ limits, requests, noResources, seccomp }) => {
    const resources: Record<string, unknown> = {};
    if (limits !== undefined) resources.limits = limits;
    if (requests !== undefined) resources.requests = requests;
    return { ...(noResources ? {} : { resources }), ...(seccomp ? { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } } : {}) };
  });
const podSpecArb = fc.record(
  {
    containers: fc.array(containerArb, { minLength: 1, maxLength: 2 }).map((cs) => cs.map((c, i) => ({ name: `c${i}`, image: 'app', ...c }))),
    initContainers: fc.array(containerArb, { maxLength: 1 }).map((cs) => cs.map((c, i) => ({ name: `init${i}`, image: 'app', ...c }))),
    os: fc.constant({ name: 'windows' }),
    securityContext: fc.constant({ seccompProfile: { type: 'Localhost', localhostProfile: 'p' } }),
  },
  { requiredKeys: ['containers'] },
);

const scenarioArb = fc
  .record({
    resourceDefaults: fc.array(resourceDefaultsArb, { minLength: 1, maxLength: 2 }),
    seccompDefaults: fc.array(seccompDefaultsArb, { maxLength: 2 }),
    controllers: fc.subarray(CONTROLLERS, { minLength: 1 }),
    ownSelector: rarely(fc.constantFrom<LabelSelector>({ matchLabels: { app: 'web' } }, { matchLabels: { 'pod-template-hash': 'x' } })),
    ownExclude: rarely(fc.constant<NonNullable<Policy['exclude']>>({ namespaces: ['apps-b'] })),
    rule: fc.record({
      limits: fc.subarray(['cpu', 'memory']),
      requests: fc.subarray(['cpu', 'memory']),
      maxLimits: fc.option(fc.constantFrom({ cpu: '1' }, { memory: '1Gi' }), { nil: undefined }),
    }),
    exemptions: fc.array(exemptionArb('requireResources', ['resources.limits', 'resources.requests.cpu', 'resources.limits.memory'], ['cpu', 'memory', '1Gi']), { maxLength: 1 }),
  })
  .map((s) => {
    const kinds = ['Pod', ...s.controllers];
    const rule: Record<string, unknown> & { name: string; type: Rule['type'] } = { name: 'resources', type: 'requireResources', limits: s.rule.limits, requests: s.rule.requests };
    if (s.rule.maxLimits !== undefined) rule.maxLimits = s.rule.maxLimits;
    const policy = policyOf('res', 'Enforce', kinds, autogen(rule, kinds), s.exemptions.map((e, i) => ({ ...e, name: `ex-${i}` })));
    if (s.ownSelector !== undefined) policy.match.objectSelector = s.ownSelector;
    if (s.ownExclude !== undefined) policy.exclude = s.ownExclude;
    const defaults = [...s.resourceDefaults.map((p, i) => ({ ...p, name: `res-defaults-${i}` })), ...s.seccompDefaults.map((p, i) => ({ ...p, name: `seccomp-defaults-${i}` }))];
    return { policy, podDefaults: [...defaults, policy] };
  });

describe('requireResources with the Pod-defaults relief: generated bundles', () => {
  it('decides every generated Pod and controller exactly as the engine given the same bundle', () => {
    let notes = 0;
    let relievedControllers = 0;
    fc.assert(
      fc.property(
        scenarioArb.chain((s) => fc.tuple(fc.constant(s), fc.array(requestArb(s.policy, podSpecArb), { minLength: 1, maxLength: 6 }))),
        ([{ policy, podDefaults }, requests]) => {
          const compiled = compileWith(policy, podDefaults);
          expect(compiled.results.map((r) => r.kind)).toEqual(['compiled']);
          for (const req of requests) {
            const c = expectEqual(policy, compiled, req, podDefaults);
            const line = c.native.resources ?? '';
            if (line.includes('(judged as its Pods will be after the Pod defaults of')) notes += 1;
            // The engine without the defaults judges otherwise: the relief made a difference.
            if (req.kind.kind !== 'Pod' && line !== (compare(policy, compiled, req, [policy]).engine.resources ?? '')) relievedControllers += 1;
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(notes).toBeGreaterThan(20);
    expect(relievedControllers).toBeGreaterThan(30);
  });
});

describe('requireResources with the Pod-defaults relief: the oracle sees a change', () => {
  it('fails when the choice between the default limit and a larger request is altered', () => {
    const defaults = policyOf('defaults', 'Enforce', KINDS, [{ name: 'd', type: 'defaultResources', limits: { cpu: '500m' }, requests: {}, target: autogen({ name: 'x', type: 'defaultResources' }, ['Pod'])[0].target } as unknown as Rule], []);
    const rule = { name: 'resources', type: 'requireResources' as const, limits: ['cpu'], requests: [], maxLimits: { cpu: '400m' } };
    const policy = policyOf('res', 'Enforce', ['Pod', 'Deployment'], autogen(rule, ['Pod', 'Deployment']), []);
    const podDefaults = [defaults, policy];
    const compiled = compileWith(policy, podDefaults);
    // The request equals the default (0.5 = 500m): the engine keeps the default's text.
    const req = requestFor(workload('Deployment', undefined, { spec: { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '0.5' } } }] } }), 'apps') as NativeRequest;
    expect(expectEqual(policy, compiled, req, podDefaults).native.resources).toContain('resources.limits.cpu=500m is not allowed: it exceeds the ceiling 400m');
    const altered = alterVariable(compiled, 'resources', 'quantity("500m").compareTo(quantity(t[3])) >= 0', 'quantity("500m").compareTo(quantity(t[3])) > 0');
    expect(() => expectEqual(policy, altered, req, podDefaults)).toThrow(/res on/);
  });
});

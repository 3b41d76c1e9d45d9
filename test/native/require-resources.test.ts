/**
 * requireResources compiled to CEL (runtime/native/require-resources.ts) against the engine
 * (runtime/engine/rules/require-resources.ts): the reference policy (its Pod rule, and its
 * controller rules alone), the reference fixtures, the upstream Pod Security fixture Pods, and
 * generated rules (required limits and requests, ceilings), quantities (canonical, equal values
 * spelled differently, negative, and every kind of malformed string the engine's parser reports),
 * Pods and controllers with exemptions (partial relief of the missing resources included).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Exemption, Policy, Rule } from '../../runtime/bundle';
import type { NativeRequest } from './cel-harness';
import { compileForTest, expectEqual } from './differential';
import { alterVariable, assertGeneratedRequests, autogen, exemptionArb, fixtureWorkloads, KINDS, policyOf, referenceBundle, requestFor, upstreamPods } from './family-fixtures';

const bundle = referenceBundle();
const CONTROLLERS = KINDS.filter((k) => k !== 'Pod');

describe('requireResources: the reference policy', () => {
  const policy = bundle.policies.find((p) => p.name === 'resource-limits') as Policy;
  const podOnly: Policy = { ...policy, controllers: [], match: { ...policy.match, kinds: ['Pod'] }, rules: policy.rules.filter((r) => r.target.kind === 'Pod') };
  const controllersOnly: Policy = { ...policy, match: { ...policy.match, kinds: CONTROLLERS }, rules: policy.rules.filter((r) => r.target.kind !== 'Pod') };

  it('refuses the rule with Pod and controller targets (the Pod-defaults relief), compiles its Pod rule and its controller rules alone', () => {
    const [result] = compileForTest(policy).results;
    expect(result).toMatchObject({ kind: 'notExpressible', rule: 'limits-required' });
    expect(result.kind === 'notExpressible' && result.reason).toMatch(/Pod defaults/);
    expect(compileForTest(podOnly).results.map((r) => r.kind)).toEqual(['compiled']);
    expect(compileForTest(controllersOnly).results.map((r) => r.kind)).toEqual(['compiled']);
  });

  it('compiles the Pod and controller rules together when the policy matches no CREATE (no Pod backs a relief), exactly', () => {
    const updates: Policy = { ...policy, match: { ...policy.match, operations: ['UPDATE'] } };
    const compiled = compileForTest(updates);
    expect(compiled.results.map((r) => r.kind)).toEqual(['compiled']);
    let denied = 0;
    for (const req of fixtureWorkloads()) {
      // A changed pod spec (the old object had none), so the UPDATE is judged for every kind.
      const old = { ...(req.object as Record<string, unknown>), spec: {} };
      if (expectEqual(updates, compiled, { ...req, operation: 'UPDATE', oldObject: old }, bundle.policies).native['limits-required'] !== undefined) denied += 1;
    }
    expect(denied).toBeGreaterThan(30);
  });

  it('decides every reference fixture workload and upstream Pod Security fixture Pod as the engine (with the bundle Pod defaults)', () => {
    let denied = 0;
    const requests = [...fixtureWorkloads(), ...upstreamPods('payments')];
    for (const p of [podOnly, controllersOnly]) {
      const compiled = compileForTest(p);
      for (const req of requests) {
        if (expectEqual(p, compiled, req, bundle.policies).native['limits-required'] !== undefined) denied += 1;
      }
    }
    expect(requests.length).toBeGreaterThan(1000);
    expect(denied).toBeGreaterThan(500);
  });
});

/** Canonical quantities, the same values spelled otherwise, negatives, ints, and malformed strings. */
const QUANTITIES: (string | number)[] = [
  '100m', '500m', '1', '2', '250m', '0', '1000m', '128Mi', '512Mi', '1Gi', '1024Mi', '1536Mi', '2Gi', '1e3', '1k', '1E', '1Ei', '1.5Gi', '0.5', '-1', '-100m', '-0',
  '12345n', '3u', '1e-3', '+2', 1, 2, 0, -1, 1000,
  '', 'abc', '1x', '1e', '1E+', '1e101', '1e-100', '1e1.5', '.5', '5.', '.', '+', '1.2.3', '1 ', 'ü', '1Ki!', `1${'0'.repeat(64)}`, `${'9'.repeat(50)}Gi`, '1e0100',
];

const blockArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 4, arbitrary: fc.record({ cpu: fc.constantFrom(...QUANTITIES), memory: fc.constantFrom(...QUANTITIES) }, { requiredKeys: [] }) },
);
const containerArb = fc.record({ limits: blockArb, requests: blockArb, noResources: fc.boolean() }).map(({ limits, requests, noResources }) => {
  if (noResources) return {};
  const resources: Record<string, unknown> = {};
  if (limits !== undefined) resources.limits = limits;
  if (requests !== undefined) resources.requests = requests;
  return { resources };
});
const podSpecArb = fc.record(
  {
    containers: fc.array(containerArb, { minLength: 1, maxLength: 3 }).map((cs) => cs.map((c, i) => ({ name: `c${i}`, image: 'app', ...c }))),
    initContainers: fc.array(containerArb, { maxLength: 1 }).map((cs) => cs.map((c, i) => ({ name: `init${i}`, image: 'app', ...c }))),
    ephemeralContainers: fc.array(containerArb, { maxLength: 1 }).map((cs) => cs.map((c, i) => ({ name: `debug${i}`, image: 'app', ...c }))),
  },
  { requiredKeys: ['containers'] },
);

const RESOURCE = fc.constantFrom<'cpu' | 'memory'>('cpu', 'memory');
const ruleArb = fc.record({
  limits: fc.array(RESOURCE, { maxLength: 3 }),
  requests: fc.array(RESOURCE, { maxLength: 2 }),
  maxLimits: fc.option(fc.record({ cpu: fc.constantFrom('1', '500m', '2', '1500m'), memory: fc.constantFrom('1Gi', '512Mi', '1e9', '2G') }, { requiredKeys: [] }), { nil: undefined }),
});

const FIELDS = [
  'resources.limits', 'resources.requests', 'resources.limits.cpu', 'resources.limits.memory', 'resources.requests.cpu', 'resources.requests.memory', 'resources',
  'spec.containers[0].resources.limits', 'spec.containers[1].resources.requests.cpu', 'spec.initContainers[0].resources.limits.memory',
  'spec.template.spec.containers[0].resources.limits.cpu', 'spec.jobTemplate.spec.template.spec.containers[0].resources.requests', 'spec.containers[00].resources.limits',
];
const VALUES = ['cpu', 'memory', '2', '1Gi', 'abc', '-1', '', '1e101'];

const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    mode: fc.constantFrom<'Audit' | 'Enforce'>('Audit', 'Enforce'),
    // Pods alone, controllers alone, or both in an UPDATE-only policy (no Pod CREATE backs a relief).
    shape: fc.oneof(
      fc.constant({ kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] as ('CREATE' | 'UPDATE')[] }),
      fc.subarray(CONTROLLERS, { minLength: 1 }).map((kinds) => ({ kinds, operations: ['CREATE', 'UPDATE'] as ('CREATE' | 'UPDATE')[] })),
      fc.subarray(CONTROLLERS, { minLength: 1 }).map((kinds) => ({ kinds: ['Pod', ...kinds], operations: ['UPDATE'] as ('CREATE' | 'UPDATE')[] })),
    ),
    rule: ruleArb,
    exemptions: fc.array(exemptionArb('requireResources', FIELDS, VALUES), { maxLength: 3 }),
    /** An unscoped entry relieving one resource of the missing ones (partial relief). */
    partial: fc.option(fc.record({ field: fc.constantFrom('resources.limits', 'resources.requests'), value: RESOURCE }), { nil: undefined }),
    help: fc.option(fc.constantFrom('https://example.com/ask', 'ask #platform (allowed: never)  '), { nil: undefined }),
  })
  .map((p) => {
    const rule: Record<string, unknown> & { name: string; type: Rule['type'] } = { name: 'resources', type: 'requireResources', limits: p.rule.limits, requests: p.rule.requests };
    if (p.rule.maxLimits !== undefined) rule.maxLimits = p.rule.maxLimits;
    const exemptions = p.exemptions.map((e, i) => ({ ...e, name: `ex-${i}` }));
    if (p.partial !== undefined) exemptions.push({ name: 'partial', owner: 'o', reason: 'r', controls: [{ control: 'requireResources', field: p.partial.field, values: [p.partial.value] }] });
    const policy = policyOf('res', p.mode, p.shape.kinds, autogen(rule, p.shape.kinds), exemptions, p.shape.operations);
    if (p.help !== undefined) policy.exemptionHelp = p.help;
    return policy;
  });

describe('requireResources: generated rules, quantities, containers and exemptions', () => {
  it('decides every generated Pod and controller exactly as the engine', () => {
    const seen = { lines: 0, invalid: 0, negative: 0, exceeds: 0, ceiling: 0, partial: 0, exempted: 0 };
    assertGeneratedRequests(policyArb, podSpecArb, 400, ({ policy, compiled, bare, bareCompiled, req }) => {
      const line = expectEqual(policy, compiled, req, bundle.policies).native.resources ?? '';
      if (line !== '') seen.lines += line.split(' | ').length;
      if (line.includes('is not a valid quantity')) seen.invalid += 1;
      if (line.includes('must not be negative')) seen.negative += 1;
      if (line.includes('exceeds the limit')) seen.exceeds += 1;
      if (line.includes('exceeds the ceiling')) seen.ceiling += 1;
      if (line.includes('(exempted: ')) seen.partial += 1;
      const without = expectEqual(bare, bareCompiled, req, bundle.policies).native.resources ?? '';
      if (without.length > line.length) seen.exempted += 1;
    });
    expect(seen.lines).toBeGreaterThan(500);
    expect(seen.invalid).toBeGreaterThan(50);
    expect(seen.negative).toBeGreaterThan(20);
    expect(seen.exceeds).toBeGreaterThan(10);
    expect(seen.ceiling).toBeGreaterThan(10);
    expect(seen.partial).toBeGreaterThan(10);
    expect(seen.exempted).toBeGreaterThan(10);
  });
});

describe('requireResources: edge cases', () => {
  const rule = { name: 'resources', type: 'requireResources' as const, limits: ['cpu', 'memory'], requests: ['memory'], maxLimits: { cpu: '2', memory: '1Gi' } };
  const base = policyOf('res', 'Enforce', ['Pod'], autogen(rule, ['Pod']), []);
  const pod = (...resources: unknown[]): NativeRequest =>
    requestFor({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x', ...(r === undefined ? {} : { resources: r }) })) } }, 'apps') as NativeRequest;

  it('gives the engine lines for missing, malformed, negative, over-limit and over-ceiling values', () => {
    const req = pod(undefined, { limits: {}, requests: { memory: '2Gi' } }, { limits: { cpu: '1e101', memory: '-1Mi' }, requests: { memory: 'x' } }, { limits: { cpu: '3', memory: '1024Mi' }, requests: { memory: '1025Mi', cpu: '4' } });
    const lines = expectEqual(base, compileForTest(base), req).native.resources.split(' | ');
    expect(lines[0]).toContain('container "c0" has no cpu and memory limit: resources.limits.cpu/memory is required');
    expect(lines[1]).toContain('container "c0" has no memory request: resources.requests.memory is required');
    expect(lines[2]).toContain('container "c1" has no cpu and memory limit (resources.limits is explicitly empty)');
    expect(lines.some((l) => l.includes('container "c2" resources.limits.cpu=1e101 is not a valid quantity (exponent out of range "e101") (allowed: a Kubernetes quantity such as 500m, 2, 128Mi or 1Gi)'))).toBe(true);
    expect(lines.some((l) => l.includes('container "c2" resources.limits.memory=-1Mi is not allowed: quantities must not be negative (allowed: a quantity >= 0)'))).toBe(true);
    expect(lines.some((l) => l.includes('container "c3" resources.requests.memory=1025Mi is not allowed: it exceeds the limit 1024Mi (allowed: <= the limit 1024Mi)'))).toBe(true);
    expect(lines.some((l) => l.includes('container "c3" resources.limits.cpu=3 is not allowed: it exceeds the ceiling 2 (allowed: <= 2)'))).toBe(true);
  });

  it('relieves some of the missing resources as the engine does (exempted: …)', () => {
    const policy: Policy = { ...base, exemptions: [{ name: 'mem', owner: 'o', reason: 'r', controls: [{ control: 'requireResources', field: 'resources.limits', values: ['memory'] }] }] };
    const line = expectEqual(policy, compileForTest(policy), pod(undefined)).native.resources;
    expect(line).toContain('container "c0" resources.limits=cpu is not allowed (exempted: memory)');
  });

  it('relieves a container named by index exactly as the engine', () => {
    const policy: Policy = { ...base, exemptions: [{ name: 'c1', owner: 'o', reason: 'r', controls: [{ control: 'requireResources', field: 'spec.containers[1].resources.limits' }] }] };
    const compiled = compileForTest(policy);
    expect(compiled.results[0].kind).toBe('compiled');
    const line = expectEqual(policy, compiled, pod(undefined, undefined)).native.resources;
    expect(line).toContain('container "c0" has no cpu and memory limit');
    expect(line).not.toContain('container "c1" has no cpu and memory limit');
  });

  it('refuses exemptions narrowing by image, and ceilings Kubernetes would read otherwise', () => {
    const ex = (entry: Exemption['controls'][number]): Policy => ({ ...base, exemptions: [{ name: 'e', owner: 'o', reason: 'r', controls: [entry] }] });
    const reason = (p: Policy): string => {
      const [r] = compileForTest(p).results;
      return r.kind === 'notExpressible' ? r.reason : '';
    };
    expect(reason(ex({ control: 'requireResources', images: ['registry.example.com/**'] }))).toMatch(/narrows by image/);
    const ceiling = (cpu: string): Policy => ({ ...base, rules: autogen({ ...rule, maxLimits: { cpu } }, ['Pod']) });
    expect(reason(ceiling('1x'))).toMatch(/not a valid quantity/);
    expect(reason(ceiling('0.0000000001'))).toMatch(/below 1n/);
    expect(reason(ceiling('1.'))).toMatch(/digits\[\.digits\]/);
  });

  it('fails when the generated expression is altered (exponent bound, quantity comparison, explicit empty block)', () => {
    const compiled = compileForTest(base);
    const cases: [string, string, NativeRequest][] = [
      ['([0-9]{1,2}|100)', '([0-9]{1,3})', pod({ limits: { cpu: '1e101', memory: '1Gi' }, requests: { memory: '1Gi' } })],
      ['quantity(t[4]).isGreaterThan(quantity(t[2]))', 'quantity(t[4]).isLessThan(quantity(t[2]))', pod({ limits: { cpu: '1', memory: '1Gi' }, requests: { memory: '1023Mi' } })],
      ['"empty" : "map"', '"map" : "map"', pod({ limits: {}, requests: { memory: '1Gi' } })],
    ];
    for (const [from, to, req] of cases) {
      expect(() => expectEqual(base, alterVariable(compiled, 'resources', from, to), req)).toThrow(/res on/);
      expect(() => expectEqual(base, compiled, req)).not.toThrow();
    }
  });
});

/**
 * hostPaths compiled to CEL (runtime/native/host-paths.ts) against the engine
 * (runtime/engine/rules/host-paths.ts): the reference policy and its fixtures, the upstream Pod
 * Security fixture Pods, and generated allow-lists (read-only and writable prefixes), hostPath
 * volumes, mounts, Pods and controllers with exemptions. Verdict, violated rules and messages must
 * be equal (differential.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Exemption, Policy } from '../../runtime/bundle';
import type { NativeRequest } from './cel-harness';
import { compileForTest, expectEqual } from './differential';
import { alterVariable, assertGeneratedRequests, autogen, exemptionArb, fixtureWorkloads, KINDS, policyOf, referenceBundle, requestFor, upstreamPods } from './family-fixtures';

const bundle = referenceBundle();

describe('hostPaths: the reference policy', () => {
  const policy = bundle.policies.find((p) => p.name === 'host-isolation') as Policy;
  const compiled = compileForTest(policy);

  it('compiles approved-host-paths', () => {
    expect(compiled.results.find((r) => r.rule === 'approved-host-paths')).toMatchObject({ kind: 'compiled' });
  });

  it('decides every reference fixture workload and every upstream Pod Security fixture Pod as the engine', () => {
    let denied = 0;
    const requests = [...fixtureWorkloads(), ...upstreamPods('payments')];
    for (const req of requests) {
      const c = expectEqual(policy, compiled, req, bundle.policies);
      if (c.native['approved-host-paths'] !== undefined) denied += 1;
    }
    expect(requests.length).toBeGreaterThan(1000);
    // The upstream hostPath fixtures mount /dev/null and the like: outside /var/log.
    expect(denied).toBeGreaterThan(5);
  });
});

const PREFIXES = ['/var/log', '/var/log/', '/var//lib/./data', '/data', '/', '/var/log/../run', '/etc/ssl/certs'];
const PATHS = [
  '/var/log', '/var/log/pods', '/var/logs', '/var//log/./pods/', '/var/lib/data/x', '/var/lib/datax', '/data', '/data/', '/', '//', '/etc/ssl/certs/ca.pem',
  '/run', '/etc', 'var/log', './data', `/var/log/${'x'.repeat(130)}`, `/${'y'.repeat(4096)}`, '/data/a\u0000b', '/var/log/(allowed: x)',
];

/** Exempt fields: the finding's own, with indexes (volumes, containers, mounts, per kind), and ones matching nothing. */
const FIELDS = [
  'hostPath.path', 'volumeMounts.readOnly', 'volumes', 'spec.hostPath.path', 'spec.volumes[0].hostPath.path', 'spec.volumes[1].hostPath.path',
  'spec.template.spec.volumes[2].hostPath.path', 'volumeMounts[0].readOnly', 'volumeMounts[1].readOnly', 'spec.containers[0].volumeMounts[0].readOnly',
  'spec.containers[1].volumeMounts[1].readOnly', 'spec.template.spec.initContainers[0].volumeMounts[0].readOnly', 'spec.volumes[01].hostPath.path',
];

const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    mode: fc.constantFrom<'Audit' | 'Enforce'>('Audit', 'Enforce'),
    kinds: fc.subarray(KINDS, { minLength: 1 }),
    allowed: fc.array(fc.record({ pathPrefix: fc.constantFrom(...PREFIXES), readOnly: fc.boolean() }), { maxLength: 3 }),
    exemptions: fc.array(exemptionArb('hostPaths', FIELDS, ['/var/log/pods', '/data', '/', 'var/log', '/var/logs', '/etc']), { maxLength: 2 }),
    /** An entry that often applies: by value, by field, or every writable mount in some namespaces. */
    common: fc.option(
      fc.constantFrom<Exemption>(
        { name: 'common', owner: 'o', reason: 'r', controls: [{ control: 'hostPaths', values: ['/data', '/etc/ssl/certs/ca.pem'] }] },
        { name: 'common', owner: 'o', reason: 'r', controls: [{ control: 'hostPaths', field: 'hostPath.path', values: ['/etc', 'var/log', '/run'] }] },
        { name: 'common', owner: 'o', reason: 'r', namespaces: ['apps*'], controls: [{ control: 'hostPaths', field: 'volumeMounts.readOnly' }] },
      ),
      { nil: undefined },
    ),
    help: fc.option(fc.constantFrom('https://example.com/ask', 'ask #platform (allowed: never)  '), { nil: undefined }),
  })
  .map((p) => {
    const exemptions = p.exemptions.map((e, i) => ({ ...e, name: `ex-${i}` }));
    if (p.common !== undefined) exemptions.push(p.common);
    const policy = policyOf('paths', p.mode, p.kinds, autogen({ name: 'host-paths', type: 'hostPaths', allowed: p.allowed }, p.kinds), exemptions);
    if (p.help !== undefined) policy.exemptionHelp = p.help;
    return policy;
  });

const mountArb = (volumes: number): fc.Arbitrary<Record<string, unknown>[]> =>
  fc
    .uniqueArray(fc.nat({ max: Math.max(volumes, 1) }), { maxLength: 3 })
    .chain((vs) => fc.tuple(fc.constant(vs), fc.array(fc.option(fc.boolean(), { nil: undefined }), { minLength: vs.length, maxLength: vs.length })))
    .map(([vs, ro]) => vs.map((v, i) => ({ name: `vol-${v}`, mountPath: `/mnt/${i}`, ...(ro[i] !== undefined ? { readOnly: ro[i] } : {}) })));

const podSpecArb = fc
  .array(fc.oneof(fc.constantFrom(...PATHS).map((path) => ({ hostPath: { path } })), fc.constant({ emptyDir: {} }), fc.constant({ hostPath: { path: '/data', type: 'Directory' } })), { maxLength: 3 })
  .chain((volumes) =>
    fc.record(
      {
        volumes: fc.constant(volumes.map((v, i) => ({ name: `vol-${i}`, ...v }))),
        containers: fc.array(mountArb(volumes.length), { minLength: 1, maxLength: 2 }).map((ms) => ms.map((m, i) => ({ name: `c${i}`, image: 'app', volumeMounts: m }))),
        initContainers: fc.array(mountArb(volumes.length), { maxLength: 1 }).map((ms) => ms.map((m, i) => ({ name: `init${i}`, image: 'app', volumeMounts: m }))),
      },
      { requiredKeys: ['containers'] },
    ),
  );

describe('hostPaths: generated allow-lists, volumes, mounts and exemptions', () => {
  it('decides every generated Pod and controller exactly as the engine', () => {
    let lines = 0;
    let mounts = 0;
    let exempted = 0;
    assertGeneratedRequests(policyArb, podSpecArb, 500, ({ policy, compiled, bare, bareCompiled, req }) => {
      const c = expectEqual(policy, compiled, req);
      const line = c.native['host-paths'];
      if (line !== undefined) {
        lines += line.split(' | ').length;
        if (line.includes('writable')) mounts += 1;
      }
      const without = expectEqual(bare, bareCompiled, req);
      if ((without.native['host-paths'] ?? '').length > (line ?? '').length) exempted += 1;
    });
    expect(lines).toBeGreaterThan(200);
    expect(mounts).toBeGreaterThan(10);
    expect(exempted).toBeGreaterThan(30);
  });
});

describe('hostPaths: edge cases', () => {
  const base = policyOf('paths', 'Enforce', ['Pod'], autogen({ name: 'host-paths', type: 'hostPaths', allowed: [{ pathPrefix: '/var/log', readOnly: true }, { pathPrefix: '/data/', readOnly: false }] }, ['Pod']), []);
  const pod = (paths: string[], mounts: Record<string, unknown>[][]): NativeRequest =>
    requestFor(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p' },
        spec: { containers: mounts.map((m, i) => ({ name: `c${i}`, image: 'x', volumeMounts: m })), volumes: paths.map((path, i) => ({ name: `v${i}`, hostPath: { path } })) },
      },
      'apps',
    ) as NativeRequest;

  it('gives the engine lines for outside paths, relative paths and writable mounts of read-only prefixes', () => {
    const req = pod(['/var//log/./pods/', 'data', '/datax', '/data/x'], [[{ name: 'v0', mountPath: '/a' }, { name: 'v3', mountPath: '/b' }], [{ name: 'v0', mountPath: '/a', readOnly: false }, { name: 'v0', mountPath: '/c', readOnly: true }]]);
    const c = expectEqual(base, compileForTest(base), req);
    const lines = c.native['host-paths'].split(' | ');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('container "c0" mounts hostPath volume "v0" (/var/log/pods) writable: volumeMounts[0].readOnly=false is not allowed (allowed: readOnly: true (/var/log/pods is allowed read-only only))');
    expect(lines[1]).toContain('container "c1" mounts hostPath volume "v0" (/var/log/pods) writable: volumeMounts[0].readOnly=false');
    expect(lines[2]).toContain('volume "v1" hostPath.path=data is not allowed: it is not an absolute path (allowed: /var/log (read-only), /data/)');
    expect(lines[3]).toContain('volume "v2" hostPath.path=/datax is not allowed: it is outside the allowed host paths');
  });

  it('denies every hostPath volume with an empty allow-list, and none with /', () => {
    const none = { ...base, rules: autogen({ name: 'host-paths', type: 'hostPaths', allowed: [] }, ['Pod']) };
    expect(expectEqual(none, compileForTest(none), pod(['/'], [])).native['host-paths']).toContain('(allowed: no hostPath volumes)');
    const all = { ...base, rules: autogen({ name: 'host-paths', type: 'hostPaths', allowed: [{ pathPrefix: '/', readOnly: false }] }, ['Pod']) };
    expect(expectEqual(all, compileForTest(all), pod(['/etc', 'rel'], [])).native['host-paths']?.split(' | ')).toHaveLength(1);
  });

  it('relieves by fields with indexes (a volume, a mount, a container) exactly as the engine', () => {
    const ex = (entry: Exemption['controls'][number]): Policy => ({ ...base, exemptions: [{ name: 'e', owner: 'o', reason: 'r', controls: [entry] }] });
    const req = pod(['/var/log', '/etc', '/srv'], [[{ name: 'v0', mountPath: '/a' }, { name: 'v0', mountPath: '/b' }], [{ name: 'v0', mountPath: '/a' }]]);
    const before = expectEqual(base, compileForTest(base), req).native['host-paths'].split(' | ').length;
    for (const field of ['spec.volumes[1].hostPath.path', 'volumeMounts[1].readOnly', 'spec.containers[1].volumeMounts[0].readOnly']) {
      const policy = ex({ control: 'hostPaths', field });
      const compiled = compileForTest(policy);
      expect(compiled.results[0].kind).toBe('compiled');
      expect(expectEqual(policy, compiled, req).native['host-paths'].split(' | ')).toHaveLength(before - 1);
    }
  });

  it('refuses image-scoped exemptions when a prefix is read-only', () => {
    const ex = (entry: Exemption['controls'][number]): Policy => ({ ...base, exemptions: [{ name: 'e', owner: 'o', reason: 'r', controls: [entry] }] });
    const [byImage] = compileForTest(ex({ control: 'hostPaths', images: ['registry.example.com/**'] })).results;
    expect(byImage.kind === 'notExpressible' && byImage.reason).toMatch(/narrows by image/);
    const writableOnly = { ...ex({ control: 'hostPaths', images: ['registry.example.com/**'] }), rules: autogen({ name: 'host-paths', type: 'hostPaths', allowed: [{ pathPrefix: '/data', readOnly: false }] }, ['Pod']) };
    expect(compileForTest(writableOnly).results[0].kind).toBe('compiled');
  });

  it('fails when the generated expression is altered (prefix boundary, normalization, mount index)', () => {
    const compiled = compileForTest(base);
    const cases: [string, string, NativeRequest][] = [
      ['startsWith("/data/")', 'startsWith("/data")', pod(['/datax'], [])],
      ['s != "" && s != "."', 's != ""', pod(['/var/./log'], [])],
      ['string(c.volumeMounts.indexOf(m))', 'string(0)', pod(['/var/log'], [[{ name: 'v9', mountPath: '/z' }, { name: 'v0', mountPath: '/a' }]])],
    ];
    for (const [from, to, req] of cases) {
      expect(() => expectEqual(base, alterVariable(compiled, 'host_paths', from, to), req)).toThrow(/paths on/);
      expect(() => expectEqual(base, compiled, req)).not.toThrow();
    }
  });
});

/**
 * Differential tests of the native compiler (runtime/native): every generated expression is
 * evaluated with a real CEL implementation and compared with the engine — verdict, violated rules
 * and messages — over the reference policy fixtures, the upstream Pod Security fixtures and
 * fast-check generated Pods and controllers with exemptions. Any difference fails.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Exemption, Policy, Rule, Target } from '../../runtime/bundle';
import { readArchive } from '../conformance/archive';
import type { NativeRequest } from './cel-harness';
import { compileForTest, expectEqual } from './differential';
import { fixtureWorkloads, requestFor, targetOf } from './family-fixtures';

const ROOT = path.resolve(__dirname, '../..');
const bundle = JSON.parse(readFileSync(path.join(ROOT, 'dist/portcullis-bundle.json'), 'utf8')) as { policies: Policy[] };
describe('native compiler vs engine: the reference policies', () => {
  const compiled = bundle.policies.map((p) => ({ policy: p, compiled: compileForTest(p, bundle.policies) })).filter((c) => c.compiled.objects !== undefined);
  const workloads = fixtureWorkloads();

  it('compile the resource-limit, Pod Security (restricted), registry, digest, latest-tag, host-path, host-namespace, runtime-socket and required-label rules of the reference set', () => {
    const rules = compiled.flatMap((c) => c.compiled.results.filter((r) => r.kind === 'compiled').map((r) => `${r.policy}/${r.rule}`));
    expect(rules).toEqual([
      'resource-limits/limits-required',
      'pod-security/restricted',
      'image-references/team-registry-only',
      'image-references/digest-only',
      'image-references/no-latest',
      'host-isolation/approved-host-paths',
      'host-isolation/no-runtime-socket',
      'host-isolation/no-host-namespaces',
      'required-labels/ownership-labels',
    ]);
    expect(workloads.length).toBeGreaterThan(40);
  });

  it('decide every reference fixture workload exactly as the engine (with the bundle Pod defaults)', () => {
    let findings = 0;
    let sockets = 0;
    let digests = 0;
    let latest = 0;
    let registries = 0;
    for (const { policy, compiled: c } of compiled) {
      for (const req of workloads) {
        const native = expectEqual(policy, c, req, bundle.policies).native;
        findings += Object.keys(native).length;
        if (native['no-runtime-socket'] !== undefined) sockets += 1;
        if (native['digest-only'] !== undefined) digests += 1;
        if (native['no-latest'] !== undefined) latest += 1;
        if (native['team-registry-only'] !== undefined) registries += 1;
      }
    }
    expect(registries).toBeGreaterThanOrEqual(1);
    expect(digests).toBeGreaterThanOrEqual(5);
    expect(latest).toBeGreaterThanOrEqual(1);
    expect(findings).toBeGreaterThanOrEqual(4);
    expect(sockets).toBeGreaterThanOrEqual(1);
  });

  it('fail when the runtime-socket expression is altered', () => {
    const host = compiled.find((c) => c.policy.name === 'host-isolation');
    if (host?.compiled.objects === undefined) throw new Error('host-isolation did not compile');
    const objects = structuredClone(host.compiled.objects);
    const variables = (objects.policy as { spec: { variables: { name: string; expression: string }[] } }).spec.variables;
    const rule = variables.find((v) => v.name.endsWith('no_runtime_socket'));
    if (rule === undefined) throw new Error('no runtime-socket variable');
    rule.expression = rule.expression.replace('s != "" && s != "."', 's != ""');
    const altered = { ...host.compiled, objects };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'v', hostPath: { path: '/var/./run' } }] } };
    expect(() => expectEqual(host.policy, altered, requestFor(pod, 'payments') as NativeRequest)).toThrow(/host-isolation on/);
    expect(() => expectEqual(host.policy, host.compiled, requestFor(pod, 'payments') as NativeRequest)).not.toThrow();
  });

  it('fail when a generated expression is altered (the oracle sees a one-character change)', () => {
    const host = compiled.find((c) => c.policy.name === 'host-isolation');
    if (host?.compiled.objects === undefined) throw new Error('host-isolation did not compile');
    const objects = structuredClone(host.compiled.objects);
    const variables = (objects.policy as { spec: { variables: { name: string; expression: string }[] } }).spec.variables;
    const rule = variables.filter((v) => !v.name.endsWith('_message')).at(-1) as { name: string; expression: string };
    rule.expression = rule.expression.replace('" is not allowed"', '" is not allowed."');
    const altered = { ...host.compiled, objects };
    const pss = readArchive(path.join(ROOT, 'test/conformance/pss-upstream/fixtures.ndjson.gz'));
    const pod = parseAllDocuments(pss.get('baseline/v1.0/fail/hostnamespaces0.yaml') ?? '')[0].toJS() as Record<string, unknown>;
    expect(() => expectEqual(host.policy, altered, requestFor(pod, 'payments') as NativeRequest)).toThrow(/host-isolation on/);
    expect(() => expectEqual(host.policy, host.compiled, requestFor(pod, 'payments') as NativeRequest)).not.toThrow();
  });
});

describe('native compiler vs engine: upstream Pod Security fixtures', () => {
  const files = readArchive(path.join(ROOT, 'test/conformance/pss-upstream/fixtures.ndjson.gz'));
  const policies = bundle.policies.filter((p) => ['host-isolation', 'required-labels', 'image-references'].includes(p.name));

  it('decide every upstream fixture Pod (every level and version) exactly as the engine', () => {
    let compared = 0;
    let denied = 0;
    let sockets = 0;
    let latest = 0;
    let digests = 0;
    let registries = 0;
    for (const [file, content] of files) {
      if (!file.endsWith('.yaml')) continue;
      for (const doc of parseAllDocuments(content)) {
        const object = doc.toJS() as Record<string, unknown> | null;
        if (object === null || object.kind !== 'Pod') continue;
        for (const p of policies) {
          const req = requestFor(object, 'payments', { 'payments.example.com/environment': 'production' }) as NativeRequest;
          const c = expectEqual(p, compileForTest(p), req);
          compared += 1;
          if (p.name === 'host-isolation' && Object.keys(c.native).length > 0) denied += 1;
          if (c.native['no-runtime-socket'] !== undefined) sockets += 1;
          if (c.native['no-latest'] !== undefined) latest += 1;
          if (c.native['digest-only'] !== undefined) digests += 1;
          if (c.native['team-registry-only'] !== undefined) registries += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(4000);
    expect(denied).toBeGreaterThan(50);
    // The upstream hostPath fixtures mount non-socket paths (e.g. /dev/null): compared, not denied.
    expect(sockets).toBe(0);
    expect(digests).toBeGreaterThan(1000);
    expect(latest).toBeGreaterThan(0);
    expect(registries).toBeGreaterThan(1000);
  });
});

// ---- generated policies, exemptions and workloads ----------------------------------------------

const HOST_NS = ['hostPID', 'hostIPC', 'hostNetwork'] as const;
const IMAGE_CONTROLS = ['disallowLatestTag', 'requireDigest', 'allowedRegistries'];
const REGISTRY_GLOBS = ['registry.example.com/**', 'registry.example.com/*', '*.example.com:*/**', 'docker.io/library/*', 'nginx:1.*', '**/app', 'r.io/**', 'localhost:5000/app', '[::1]:5000/**', 'bad glob'];
const HEX = '0123456789abcdef'.repeat(4);
/** Images: valid and invalid references, implicit docker.io and library/, ports, tags, digests, none. */
const IMAGES = [
  'nginx', 'nginx:latest', 'nginx:Latest', 'nginx:1.25', 'library/nginx', 'docker.io/nginx:latest', 'index.docker.io/team/app:v1',
  'registry.example.com/app:v1', 'registry.example.com:5000/team/app', 'localhost:5000/app:latest', `registry.example.com/app@sha256:${HEX}`,
  `registry.example.com/app:latest@sha256:${HEX}`, `app@sha512:${HEX}${HEX}`, 'app@sha256:abc', 'app@md5:x', 'Registry/app', 'Bad Image',
  'app:', `${HEX}`, '[::1]:5000/app:v2', 'r.io/App:v1', `r.io/${'x'.repeat(250)}`, '',
];
const SOCKETS = ['/var/run/docker.sock', '/run/containerd/containerd.sock', '/var/run/crio/crio.sock', '/run/podman/podman.sock', '/var/run/cri-dockerd.sock', '/var/lib/kubelet/kubelet.sock', '/run//x.sock/', '/var/run/../run/y.sock', '/'];
const NAMESPACES = ['apps', 'apps-b', 'team-x', 'ops'];
const LABEL_KEYS = ['owner', 'team', 'version', 'app.kubernetes.io/name'];
const LABEL_VALUES = ['', 'a', 'v1.2.3', 'production', 'x-y', 'A.b_c', 'payments'];
const KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'];

function autogen(rule: Omit<Rule, 'target' | 'name'> & { name: string }, kinds: readonly string[]): Rule[] {
  return kinds.map((k) => {
    const target = targetOf(k) as Target;
    return (k === 'Pod' ? { ...rule, target } : { ...rule, name: `autogen-${k.toLowerCase()}-${rule.name}`, autogenFrom: rule.name, target }) as Rule;
  });
}

const labelMap = fc.dictionary(fc.constantFrom(...LABEL_KEYS), fc.constantFrom(...LABEL_VALUES), { maxKeys: 4 });
const selector = fc.record({ matchLabels: fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db'), { minKeys: 1, maxKeys: 1 }) });

const exemption: fc.Arbitrary<Exemption> = fc
  .record({
    namespaces: fc.option(fc.subarray(['apps', 'apps-*', 'team-?', 'ops', '*']), { nil: undefined }),
    objectSelector: fc.option(selector, { nil: undefined }),
    namespaceSelector: fc.option(selector, { nil: undefined }),
    controls: fc.array(
      fc.record({
        control: fc.constantFrom('hostNamespaces', 'requireLabels', 'denyRuntimeSocket', 'disallowLatestTag', 'requireDigest', 'allowedRegistries', 'other'),
        field: fc.option(
          fc.constantFrom('hostPID', 'hostNetwork', 'spec.hostIPC', 'spec.template.spec.hostPID', 'labels', 'metadata.labels.owner', 'spec.template.metadata.labels.team', 'hostPath.path', 'volumes', 'image', 'spec.image'),
          { nil: undefined },
        ),
        values: fc.option(fc.subarray(['true', 'false', 'owner', 'team', 'version', '/run/docker.sock', '/var/run', '/', 'run/docker.sock', 'nginx', 'unset', '', 'Bad Image']), { nil: undefined }),
        images: fc.option(fc.constant(['registry.example.com/**']), { nil: undefined }),
      }),
      { maxLength: 2 },
    ),
  })
  .map((e) => {
    // Image-glob narrowing of the image families is not compiled (tested separately below).
    const controls = e.controls.map((c) => (IMAGE_CONTROLS.includes(c.control) ? { ...c, images: undefined } : c));
    const out: Exemption = { name: 'ex', owner: 'o', reason: 'r', controls: controls.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as Exemption['controls'][number]) };
    if (e.namespaces !== undefined) out.namespaces = e.namespaces;
    if (e.objectSelector !== undefined) out.objectSelector = e.objectSelector;
    if (e.namespaceSelector !== undefined) out.namespaceSelector = e.namespaceSelector;
    return out;
  });

const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    mode: fc.constantFrom<'Audit' | 'Enforce'>('Audit', 'Enforce'),
    kinds: fc.subarray(KINDS, { minLength: 1 }),
    deny: fc.subarray([...HOST_NS], { minLength: 1 }),
    labels: fc.uniqueArray(
      fc.record({ key: fc.constantFrom(...LABEL_KEYS), valuePattern: fc.option(fc.constantFrom('v?[0-9]+\\.[0-9]+\\.[0-9]+', 'production|staging', '[a-z]+(-[a-z]+)*'), { nil: undefined }) }),
      { minLength: 1, maxLength: 3, selector: (l) => l.key },
    ),
    sockets: fc.subarray(SOCKETS, { minLength: 1 }),
    registries: fc.subarray(REGISTRY_GLOBS, { minLength: 1, maxLength: 3 }),
    exemptions: fc.array(exemption, { maxLength: 2 }),
    help: fc.option(fc.constantFrom('https://example.com/ask', 'ask #platform (allowed: never)  '), { nil: undefined }),
    operations: fc.constantFrom(['CREATE', 'UPDATE'], ['CREATE'], ['UPDATE']),
  })
  .map((p) => {
    const labels = p.labels.map((l) => (l.valuePattern === undefined ? { key: l.key } : { key: l.key, valuePattern: l.valuePattern }));
    const policy: Policy = {
      name: 'generated',
      mode: p.mode,
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
      controllers: p.kinds.filter((k) => k !== 'Pod'),
      match: { kinds: p.kinds, operations: [...p.operations] },
      rules: [
        ...autogen({ name: 'no-host', type: 'hostNamespaces', deny: p.deny } as never, p.kinds),
        ...autogen({ name: 'labels', type: 'requireLabels', labels } as never, p.kinds),
        ...autogen({ name: 'no-socket', type: 'denyRuntimeSocket', sockets: p.sockets } as never, p.kinds),
        ...autogen({ name: 'no-latest', type: 'disallowLatestTag' } as never, p.kinds),
        ...autogen({ name: 'digest', type: 'requireDigest' } as never, p.kinds),
        ...autogen({ name: 'registries', type: 'allowedRegistries', allowed: p.registries } as never, p.kinds),
      ],
      exemptions: p.exemptions.map((e, i) => ({ ...e, name: `ex-${i}` })),
    };
    if (p.help !== undefined) policy.exemptionHelp = p.help;
    return policy;
  });

/** hostPath paths the API server admits: non-empty, no `..` segment (validatePathNoBacksteps). */
const hostPathArb = fc.oneof(
  fc.constantFrom('/', '/var', '/var/run', '/run', '/run/docker.sock', '/var/run/docker.sock', '/var/lib/docker', '/run/containerd/', '//var///run/./crio/crio.sock/', 'var/run/docker.sock', './run', `/${'x'.repeat(4095)}`, `/${'x'.repeat(4096)}`, `/var/log/${'ü'.repeat(130)}`, '/run/po\u0000dman'),
  fc.array(fc.constantFrom('', '.', 'var', 'run', 'docker.sock', 'containerd', 'containerd.sock', 'crio', 'podman', 'lib', 'cri-dockerd.sock'), { maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
);
const volumesArb = fc
  .array(fc.oneof(hostPathArb.map((path) => ({ hostPath: { path } })), fc.constant({ emptyDir: {} })), { maxLength: 3 })
  .map((vs) => vs.map((v, i) => ({ name: `vol-${i}`, ...v })));
const podSpec = fc.record(
  {
    hostPID: fc.boolean(),
    hostIPC: fc.boolean(),
    hostNetwork: fc.boolean(),
    containers: fc
      .array(fc.option(fc.constantFrom(...IMAGES), { nil: undefined }), { minLength: 1, maxLength: 3 })
      .map((images) => images.map((image, i) => ({ name: `c${i}`, ...(image !== undefined ? { image } : {}) }))),
    initContainers: fc.array(fc.constantFrom(...IMAGES), { maxLength: 1 }).map((images) => images.map((image, i) => ({ name: `init${i}`, image }))),
    volumes: volumesArb,
  },
  { requiredKeys: ['containers'] },
);
const podTemplate = fc.record({ labels: fc.option(labelMap, { nil: undefined }), annotations: fc.option(fc.constant({ a: 'b' }), { nil: undefined }), spec: podSpec });

function workload(kind: string, own: Record<string, string> | undefined, t: { labels?: Record<string, string>; annotations?: Record<string, string>; spec: unknown }): Record<string, unknown> {
  const meta = (labels?: Record<string, string>, annotations?: Record<string, string>): Record<string, unknown> => ({
    name: 'w',
    ...(labels !== undefined ? { labels } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
  });
  const target = targetOf(kind) as Target;
  if (kind === 'Pod') return { apiVersion: 'v1', kind, metadata: meta(t.labels, t.annotations), spec: t.spec };
  const template = { metadata: meta(t.labels, t.annotations), spec: t.spec };
  const apiVersion = target.group === '' ? 'v1' : `${target.group}/v1`;
  const spec = kind === 'CronJob' ? { schedule: '* * * * *', jobTemplate: { spec: { template } } } : { template };
  return { apiVersion, kind, metadata: meta(own), spec };
}

const requestArb = (policy: Policy): fc.Arbitrary<NativeRequest> =>
  fc
    .record({
      kind: fc.constantFrom(...policy.match.kinds),
      namespace: fc.constantFrom(...NAMESPACES),
      own: fc.option(fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db'), { maxKeys: 2 }), { nil: undefined }),
      template: podTemplate,
      update: fc.option(fc.record({ old: podTemplate, sameSpec: fc.boolean(), ephemeral: fc.boolean() }), { nil: undefined }),
    })
    .map(({ kind, namespace, own, template, update }) => {
      const t = targetOf(kind) as Target;
      const object = workload(kind, own, template);
      const req: NativeRequest = {
        operation: update === undefined ? 'CREATE' : 'UPDATE',
        kind: { group: t.group, version: t.version, kind: t.kind },
        resource: { group: t.group, version: t.version, resource: t.resource },
        namespace,
        object,
      };
      if (update !== undefined) {
        req.oldObject = workload(kind, own, update.sameSpec ? { ...update.old, spec: template.spec, annotations: template.annotations } : update.old);
        if (update.ephemeral && kind === 'Pod') req.subResource = 'ephemeralcontainers';
      }
      return req;
    });

describe('native compiler vs engine: generated policies, exemptions and workloads', () => {
  it('every generated policy compiles every family (no expiring exemption is generated)', () => {
    fc.assert(
      fc.property(policyArb, (policy) => {
        const results = compileForTest(policy).results;
        expect(results.map((r) => r.kind)).toEqual(['compiled', 'compiled', 'compiled', 'compiled', 'compiled', 'compiled']);
      }),
      { numRuns: 200 },
    );
  });

  it('decide every generated Pod and controller exactly as the engine', () => {
    let violations = 0;
    let exempted = 0;
    let socketFindings = 0;
    let imageFindings = 0;
    let registryFindings = 0;
    fc.assert(
      fc.property(
        policyArb.chain((p) => fc.tuple(fc.constant(p), fc.array(requestArb(p), { minLength: 1, maxLength: 8 }))),
        ([policy, requests]) => {
          const compiled = compileForTest(policy);
          const bare = compileForTest({ ...policy, exemptions: [] });
          for (const req of requests) {
            const c = expectEqual(policy, compiled, req);
            violations += Object.keys(c.native).length;
            if (c.native['no-socket'] !== undefined) socketFindings += 1;
            if (c.native['no-latest'] !== undefined && c.native.digest !== undefined) imageFindings += 1;
            if (c.native.registries !== undefined) registryFindings += 1;
            const without = expectEqual({ ...policy, exemptions: [] }, bare, req);
            if (Object.keys(without.native).length > Object.keys(c.native).length) exempted += 1;
          }
        },
      ),
      { numRuns: 800 },
    );
    expect(violations).toBeGreaterThan(100);
    expect(exempted).toBeGreaterThan(5);
    expect(socketFindings).toBeGreaterThan(50);
    expect(imageFindings).toBeGreaterThan(100);
    expect(registryFindings).toBeGreaterThan(100);
  });
});

describe('native compiler vs engine: denyRuntimeSocket edge cases', () => {
  const base: Policy = {
    name: 'sockets',
    mode: 'Enforce',
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    controllers: [],
    match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
    rules: autogen({ name: 'no-socket', type: 'denyRuntimeSocket', sockets: SOCKETS.filter((s) => s !== '/') } as never, ['Pod']),
    exemptions: [],
  };
  const pod = (paths: string[]): NativeRequest =>
    requestFor({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }], volumes: paths.map((path, i) => ({ name: `v${i}`, hostPath: { path } })) } }, 'apps') as NativeRequest;

  it('lists exposed sockets ("and N more"), sockets themselves and relative paths exactly as the engine', () => {
    const c = expectEqual(base, compileForTest(base), pod(['/', '/var/run/docker.sock', 'run', '/var/lib/kubelet', '/etc']));
    const line = c.native['no-socket'];
    expect(line).toContain('volume "v0" hostPath.path=/ is not allowed: it exposes the container-runtime sockets /var/run/docker.sock, /run/containerd/containerd.sock, /var/run/crio/crio.sock and 5 more');
    expect(line).toContain('it is a container-runtime socket');
    expect(line).toContain('it is not an absolute path, so it cannot be checked');
    expect(line.split(' | ')).toHaveLength(4);
  });

  it('refuses an exemption that names a volume by index (the field depends on the volume position)', () => {
    const policy: Policy = { ...base, exemptions: [{ name: 'vol0', owner: 'o', reason: 'r', controls: [{ control: 'denyRuntimeSocket', field: 'spec.volumes[0].hostPath.path' }] }] };
    const [result] = compileForTest(policy).results;
    expect(result).toMatchObject({ kind: 'notExpressible', rule: 'no-socket' });
    expect(result.kind === 'notExpressible' && result.reason).toMatch(/names a volume by index/);
  });
});

describe('native compiler vs engine: disallowLatestTag, requireDigest and allowedRegistries edge cases', () => {
  const base: Policy = {
    name: 'images',
    mode: 'Enforce',
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    controllers: ['Deployment'],
    match: { kinds: ['Pod', 'Deployment'], operations: ['CREATE', 'UPDATE'] },
    rules: [
      ...autogen({ name: 'no-latest', type: 'disallowLatestTag' } as never, ['Pod', 'Deployment']),
      ...autogen({ name: 'digest', type: 'requireDigest' } as never, ['Pod', 'Deployment']),
      ...autogen({ name: 'registries', type: 'allowedRegistries', allowed: ['registry.example.com/*', 'docker.io/library/nginx'] } as never, ['Pod', 'Deployment']),
    ],
    exemptions: [],
  };
  const pod = (images: (string | undefined)[]): NativeRequest =>
    requestFor(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, ...(image !== undefined ? { image } : {}) })) } },
      'apps',
    ) as NativeRequest;

  it('give the engine messages for no image, invalid references, latest and missing digests', () => {
    const c = expectEqual(base, compileForTest(base), pod([undefined, '', 'Bad Image', 'nginx', 'r.io/app:LATEST', `r.io/app@sha512:${HEX}${HEX}`, `r.io/app:latest@sha256:${HEX}`, 'app@"q\\:x']));
    expect(c.native['no-latest']).toContain('container "c0" has no image: image=unset is not allowed');
    expect(c.native['no-latest']).toContain('container "c1" has no image: image= is not allowed');
    expect(c.native['no-latest']).toContain('container "c2" image=Bad Image is not a valid image reference (contains whitespace, control or non-ASCII characters)');
    expect(c.native['no-latest']).toContain('container "c3" image=nginx is not allowed: no tag means latest');
    expect(c.native['no-latest']).toContain('container "c4" image=r.io/app:LATEST is not allowed: the LATEST tag is mutable');
    expect(c.native['no-latest']).toContain('unsupported digest algorithm "\\"q\\\\"');
    expect(c.native.digest).toContain('container "c5" image=r.io/app@sha512:');
    expect(c.native.digest).toContain('only sha256 digests are accepted');
    expect(c.native.digest).not.toContain('container "c6"');
    expect(c.native.registries).toContain('container "c4" image=r.io/app:LATEST is not allowed: registry/repository r.io/app is not in the allowed list');
    expect(c.native.registries).not.toContain('container "c3"');
    const hosts = expectEqual(base, compileForTest(base), pod(['registry.example.com.evil.io/app', 'registry.example.com/team/app', 'Registry.Example.com/app', 'index.docker.io/nginx']));
    expect(hosts.native.registries.split(' | ').map((l) => /container "(c\d)"/.exec(l)?.[1])).toEqual(['c0', 'c1']);
  });

  it('fail when the image parser expression is altered', () => {
    const compiled = compileForTest(base);
    const objects = structuredClone(compiled.objects as NonNullable<typeof compiled.objects>);
    const variables = (objects.policy as { spec: { variables: { name: string; expression: string }[] } }).spec.variables;
    const rule = variables.find((v) => v.name.endsWith('no_latest'));
    if (rule === undefined) throw new Error('no latest-tag variable');
    rule.expression = rule.expression.split('"registry-1.docker.io", ').join('');
    // docker.io/library/ + 236 = 254 characters: valid; read as its own registry the name has 257.
    const req = pod([`registry-1.docker.io/${'x'.repeat(236)}`]);
    expect(() => expectEqual(base, { ...compiled, objects }, req)).toThrow(/images on/);
    expect(() => expectEqual(base, compiled, req)).not.toThrow();
  });

  it('fail when the host-segment glob class is altered (a `*` in the host crossing a dot)', () => {
    const policy: Policy = { ...base, rules: autogen({ name: 'registries', type: 'allowedRegistries', allowed: ['*.example.com:*/**'] } as never, ['Pod']) };
    const compiled = compileForTest(policy);
    const objects = structuredClone(compiled.objects as NonNullable<typeof compiled.objects>);
    const rule = (objects.policy as { spec: { variables: { name: string; expression: string }[] } }).spec.variables.find((v) => v.name.endsWith('registries'));
    if (rule === undefined || !rule.expression.includes('[^.:\\\\[\\\\]/]*')) throw new Error('no host class in the registries variable');
    rule.expression = rule.expression.split('[^.:\\\\[\\\\]/]*').join('[^/]*');
    const req = pod(['a.b.example.com:5000/x']);
    expect(() => expectEqual(policy, { ...compiled, objects }, req)).toThrow(/images on/);
    expect(Object.keys(expectEqual(policy, compiled, req).native)).toEqual(['registries']);
  });

  it('keep the scope of an exemption with two entries for one control (scope && (entry || entry))', () => {
    const policy: Policy = {
      ...base,
      exemptions: [
        { name: 'two', owner: 'o', reason: 'r', namespaces: ['apps'], objectSelector: { matchLabels: { tier: 'db' } }, controls: [{ control: 'disallowLatestTag', values: ['x'] }, { control: 'disallowLatestTag', values: ['unset'] }] },
      ],
    };
    const c = expectEqual(policy, compileForTest(policy), pod([undefined]));
    expect(c.native['no-latest']).toContain('has no image');
  });

  it('refuse exemptions narrowing by image glob or naming a container by index', () => {
    const ex = (entry: Exemption['controls'][number]): Policy => ({ ...base, exemptions: [{ name: 'e', owner: 'o', reason: 'r', controls: [entry] }] });
    const byGlob = compileForTest(ex({ control: 'requireDigest', images: ['registry.example.com/**'] })).results;
    expect(byGlob.map((r) => r.kind)).toEqual(['compiled', 'notExpressible', 'compiled']);
    const byIndex = compileForTest(ex({ control: 'disallowLatestTag', field: 'spec.template.spec.containers[0].image' })).results;
    expect(byIndex.map((r) => r.kind)).toEqual(['notExpressible', 'compiled', 'compiled']);
    expect(byIndex[0].kind === 'notExpressible' && byIndex[0].reason).toMatch(/names a container by index/);
  });
});

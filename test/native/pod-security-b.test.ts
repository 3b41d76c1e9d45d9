/**
 * Differential tests of the second batch of Pod Security controls in CEL (appArmorProfile,
 * seLinuxOptions, procMount, procMount_restricted, seccompProfile_baseline,
 * seccompProfile_restricted, sysctls, hostProbesAndHostLifecycle, restrictedVolumes): each is
 * compared alone with the engine's lines of that control over every upstream Pod Security fixture
 * (every level and version) and over fast-check generated Pods and controllers with exemptions;
 * with every control compiled, the whole podSecurity rule compiles at every level and version and
 * decides every upstream fixture as the engine does. The oracle is test/native/pss-oracle.ts
 * (the engine reads annotations sorted, the CEL reversed).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Exemption, LabelSelector, Policy, PssControl, Rule } from '../../runtime/bundle';
import type { PssLevel } from '../../runtime/engine/pss/check';
import { MAX_MINOR, PSS_CHECKS, checksFor } from '../../runtime/engine/pss/registry';
import type { NativeObjects } from '../../runtime/native';
import { NATIVE_PSS_CONTROLS } from '../../runtime/native/pss/registry';
import { readArchive } from '../conformance/archive';
import { vapSpec, type NativeRequest } from './cel-harness';
import { compare as compareNative, expectEqual } from './differential';
import { defined, exemptionArb, IMAGE_GLOBS, maybe, pssPolicyArb, rarely, selector } from './pss-arbitraries';
import { KINDS, POD_DEFAULTS_REASON, applies, compileWith, expectLines, linesOf, memoCompile, pssPolicy, reliefRefused, requestFor, targetOf } from './pss-oracle';

const ROOT = path.resolve(__dirname, '../..');
const MINE: readonly PssControl[] = [
  'appArmorProfile',
  'seLinuxOptions',
  'procMount',
  'procMount_restricted',
  'seccompProfile_baseline',
  'seccompProfile_restricted',
  'sysctls',
  'hostProbesAndHostLifecycle',
  'restrictedVolumes',
];
const compiled = memoCompile(NATIVE_PSS_CONTROLS);

interface Fixture {
  level: PssLevel;
  version: string;
  objects: Record<string, unknown>[];
}

function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const [file, content] of readArchive(path.join(ROOT, 'test/conformance/pss-upstream/fixtures.ndjson.gz'))) {
    const m = /^(baseline|restricted)\/(v1\.\d+)\/(pass|fail)\/[^/]+\.yaml$/.exec(file);
    if (m === null) continue;
    const objects = parseAllDocuments(content)
      .map((d) => d.toJS() as Record<string, unknown> | null)
      .filter((o): o is Record<string, unknown> => o !== null && o.kind === 'Pod');
    out.push({ level: m[1] as PssLevel, version: m[2], objects });
  }
  return out;
}

describe('native Pod Security controls (second batch): shape', () => {
  it('are registered with the revisions (minVersions) of the engine checks', () => {
    for (const id of MINE) {
      const native = NATIVE_PSS_CONTROLS.find((c) => c.id === id);
      const check = PSS_CHECKS.find((c) => c.id === id);
      expect(native, id).toBeDefined();
      expect(native?.revisions.map((r) => r.minVersion), id).toEqual(check?.revisions.map((r) => r.minVersion));
    }
  });

  it('with every control compiled, the whole rule compiles at every level and version (refused only where the Pod-defaults relief may apply)', () => {
    const versions = ['latest', ...Array.from({ length: MAX_MINOR + 3 }, (_, i) => `v1.${i}`)];
    const controllers = KINDS.filter((k) => k !== 'Pod');
    let refused = 0;
    for (const level of ['baseline', 'restricted'] as const) {
      for (const version of versions) {
        const restricted = applies(level, version, 'seccompProfile_restricted');
        const cases: [Policy, boolean][] = [
          [pssPolicy(level, version), true],
          [pssPolicy(level, version, { kinds: controllers }), true],
          [pssPolicy(level, version, { kinds: KINDS, operations: ['UPDATE'] }), true],
          [pssPolicy(level, version, { kinds: KINDS }), !restricted],
        ];
        for (const [policy, compiles] of cases) {
          const [result] = compiled(policy).results;
          const where = `${level} ${version} ${policy.match.kinds.join(',')} ${policy.match.operations.join(',')}`;
          expect(result.kind, `${where}: ${JSON.stringify(result)}`).toBe(compiles ? 'compiled' : 'notExpressible');
          expect(reliefRefused(policy), where).toBe(!compiles);
          if (result.kind === 'notExpressible') {
            expect(result.reason).toMatch(POD_DEFAULTS_REASON);
            refused += 1;
          }
        }
      }
    }
    expect(refused).toBe(MAX_MINOR + 3 - 19 + 1);
  });
});

describe('native Pod Security controls (second batch) vs engine: upstream Pod Security fixtures', () => {
  const all = fixtures();

  it('give the engine lines of each control on every fixture (every level and version)', () => {
    let compared = 0;
    const denied = new Map<PssControl, number>();
    const policies = new Map<string, Policy>();
    for (const f of all) {
      const key = `${f.level}/${f.version}`;
      let policy = policies.get(key);
      if (policy === undefined) policies.set(key, (policy = pssPolicy(f.level, f.version)));
      for (const object of f.objects) {
        for (const control of MINE) {
          if (!applies(f.level, f.version, control)) continue;
          const line = expectLines(policy, compiled(policy, control), control, requestFor(object));
          compared += 1;
          if (line !== '') denied.set(control, (denied.get(control) ?? 0) + 1);
        }
      }
    }
    expect(compared).toBeGreaterThan(10000);
    expect([...denied.keys()].sort()).toEqual([...MINE].sort());
    console.log({ compared, denied: Object.fromEntries(denied) });
  });

  it('decide every fixture as the engine with the whole rule, at its version, at latest (v1.36 fixtures) and above the newest (v1.37 fixtures)', () => {
    let pods = 0;
    const versions = new Set<string>();
    const policies = new Map<string, Policy>();
    const policy = (level: PssLevel, version: string): Policy => {
      const key = `${level}/${version}`;
      let p = policies.get(key);
      if (p === undefined) policies.set(key, (p = pssPolicy(level, version)));
      return p;
    };
    for (const f of all) {
      const runs = [f.version, ...(f.version === 'v1.36' ? ['latest'] : []), ...(f.version === `v1.${MAX_MINOR}` ? ['v1.99'] : [])];
      for (const version of runs) {
        const p = policy(f.level, version);
        const c = compiled(p);
        expect(c.results[0].kind).toBe('compiled');
        for (const object of f.objects) {
          expectLines(p, c, undefined, requestFor(object));
          pods += 1;
        }
        versions.add(version);
      }
    }
    expect(pods).toBeGreaterThan(4500);
    expect(versions.size).toBe(MAX_MINOR + 3);
  });
});

// ---- generated policies, exemptions and workloads ----------------------------------------------

const VERSIONS = ['v1.0', 'v1.18', 'v1.19', 'v1.25', 'v1.27', 'v1.29', 'v1.31', 'v1.32', 'v1.34', 'v1.35', 'latest', 'v1.37', 'v1.99'];
const NAMESPACES = ['apps', 'apps-b', 'team-x', 'ops'];
const IMAGES = ['nginx', 'registry.example.com/app:v1', 'registry.example.com/team/app', 'Bad Image', ''];
const SE_TYPES = ['', 'container_t', 'container_engine_t', 'spc_t', 'a"b\\c'];
const SE_NAMES = ['', 'system_u', 'x(allowed: y)'];
const PROFILE_TYPES = ['RuntimeDefault', 'Localhost', 'Unconfined', ''];
const SYSCTLS = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_notsent_lowat', 'kernel.msgmax', 'net.core.somaxconn', 'a,b'];
const HOSTS = ['', 'evil.example', '10.0.0.1'];
const VOLUMES: Record<string, unknown>[] = [{ hostPath: { path: '/var' } }, { emptyDir: {} }, { nfs: { server: 's', path: '/' } }, { configMap: { name: 'c' } }, { gitRepo: { repository: 'r' } }, { image: { reference: 'x' } }, {}];
const APPARMOR_VALUES = ['unconfined', 'runtime/default', 'localhost/p', '', 'x(allowed: y)'];
const SECCOMP_VALUES = ['unconfined', 'runtime/default', 'docker/default', 'localhost/p', ''];
const CONTAINER_NAMES = ['c0', 'c1', 'init0', 'debug0', 'ghost'];

const FIELDS = [
  'seLinuxOptions.type', 'seLinuxOptions.user', 'securityContext.seLinuxOptions.type', 'spec.securityContext.seLinuxOptions.role', 'spec.template.spec.securityContext.seLinuxOptions.type',
  'spec.containers[0].securityContext.seLinuxOptions.type', 'spec.template.spec.initContainers[0].securityContext.seLinuxOptions.user',
  'procMount', 'securityContext.procMount', 'spec.containers[1].securityContext.procMount',
  'seccompProfile.type', 'spec.securityContext.seccompProfile.type', 'securityContext.seccompProfile.type', 'spec.ephemeralContainers[0].securityContext.seccompProfile.type',
  'metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]', 'spec.template.metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]',
  'spec.template.metadata.annotations["container.seccomp.security.alpha.kubernetes.io/c0"]', 'metadata.annotations["container.seccomp.security.alpha.kubernetes.io/init0"]',
  'appArmorProfile.type', 'spec.securityContext.appArmorProfile.type', 'spec.containers[0].securityContext.appArmorProfile.type',
  'metadata.annotations["container.apparmor.security.beta.kubernetes.io/c1"]', 'spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/ghost"]',
  'spec.jobTemplate.spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/c0"]',
  'sysctls', 'spec.securityContext.sysctls', 'securityContext.sysctls',
  'volumes', 'spec.volumes[0].hostPath', 'spec.template.spec.volumes[1].nfs', 'spec.volumes[01].hostPath', 'spec.volumes[2].gitRepo',
  'livenessProbe.httpGet.host', 'lifecycle.preStop.tcpSocket.host', 'spec.containers[0].startupProbe.tcpSocket.host', 'spec.template.spec.containers[1].lifecycle.postStart.httpGet.host',
  'image',
];
const VALUES = ['unconfined', 'Unconfined', 'spc_t', 'system_u', 'Unmasked', 'evil.example', '10.0.0.1', 'kernel.msgmax', 'net.core.somaxconn', 'a,b', 'hostPath', 'nfs', 'gitRepo', '<unset>', '', 'x(allowed: y)'];


const exemptions = exemptionArb(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ control: fc.constantFrom(...MINE, 'privileged'), field: maybe(fc.constantFrom(...FIELDS)), values: maybe(fc.subarray(VALUES, { maxLength: 3 })), images: IMAGE_GLOBS }) },
    // Partial relief: some of the sysctls a finding lists.
    { weight: 2, arbitrary: fc.record({ control: fc.constant('sysctls'), field: maybe(fc.constantFrom('sysctls', 'spec.securityContext.sysctls')), values: fc.subarray(SYSCTLS, { minLength: 1, maxLength: 2 }), images: IMAGE_GLOBS }) },
  ),
);

const policyArb = pssPolicyArb(exemptions, VERSIONS);

const seLinuxArb = fc.record({ type: maybe(fc.constantFrom(...SE_TYPES)), user: maybe(fc.constantFrom(...SE_NAMES)), role: maybe(fc.constantFrom(...SE_NAMES)) }).map(defined);
/** A profile object: a type (Localhost with its profile name), or none (what the API server refuses, kept for `<unset>`). */
const profileArb = maybe(fc.constantFrom(...PROFILE_TYPES)).map((type) => (type === undefined ? {} : type === 'Localhost' ? { type, localhostProfile: 'p' } : { type }));
const handlerArb = fc.oneof(
  fc.constantFrom(...HOSTS).map((host) => defined({ httpGet: { port: 80, ...(host !== '' ? { host } : {}) } })),
  fc.constantFrom(...HOSTS).map((host) => ({ tcpSocket: { port: 80, host } })),
  fc.constant({ exec: { command: ['true'] } }),
);
const containerSecurityArb = fc.record(
  { seLinuxOptions: seLinuxArb, procMount: fc.constantFrom('Default', 'Unmasked'), seccompProfile: profileArb, appArmorProfile: profileArb },
  { requiredKeys: [] },
);
const containerArb = fc.record(
  {
    image: fc.constantFrom(...IMAGES),
    securityContext: containerSecurityArb,
    livenessProbe: handlerArb,
    readinessProbe: handlerArb,
    startupProbe: handlerArb,
    lifecycle: fc.record({ postStart: handlerArb, preStop: handlerArb }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);
const podSpecArb = fc
  .record(
    {
      hostUsers: maybe(fc.boolean()),
      os: maybe(fc.record({ name: fc.constantFrom('linux', 'windows') })),
      securityContext: fc.record(
        { seLinuxOptions: seLinuxArb, seccompProfile: profileArb, appArmorProfile: profileArb, sysctls: fc.array(fc.constantFrom(...SYSCTLS).map((name) => ({ name, value: '1' })), { maxLength: 5 }) },
        { requiredKeys: [] },
      ),
      volumes: fc.array(fc.constantFrom(...VOLUMES), { maxLength: 3 }),
      containers: fc.array(containerArb, { minLength: 1, maxLength: 2 }),
      initContainers: fc.array(containerArb, { maxLength: 1 }),
      ephemeralContainers: fc.array(containerArb, { maxLength: 1 }),
    },
    { requiredKeys: ['containers'] },
  )
  .map((s) => {
    const out: Record<string, unknown> = {};
    const named = (prefix: string, list: Record<string, unknown>[]): Record<string, unknown>[] => list.map((c, i) => ({ name: `${prefix}${i}`, ...c }));
    for (const [k, v] of Object.entries(s)) {
      if (v === undefined) continue;
      if (k === 'volumes') out.volumes = (v as Record<string, unknown>[]).map((x, i) => ({ name: `vol-${i}`, ...x }));
      else if (k === 'containers') out.containers = named('c', v as Record<string, unknown>[]);
      else if (k === 'initContainers') out.initContainers = named('init', v as Record<string, unknown>[]);
      // Ephemeral containers have no probes nor lifecycle (API-server validation).
      else if (k === 'ephemeralContainers') out.ephemeralContainers = named('debug', (v as Record<string, unknown>[]).map((c) => ({ image: c.image, securityContext: c.securityContext })).map(defined));
      else out[k] = v;
    }
    return structuredClone(out);
  });

/** Annotations: AppArmor and seccomp ones naming containers (and one naming none), plus others, keys in any order. */
const annotationsArb = fc
  .tuple(
    fc.subarray(CONTAINER_NAMES).chain((names) => fc.tuple(...names.map((n) => fc.constantFrom(...APPARMOR_VALUES).map((v) => [`container.apparmor.security.beta.kubernetes.io/${n}`, v] as const)))),
    fc.subarray(CONTAINER_NAMES).chain((names) => fc.tuple(...names.map((n) => fc.constantFrom(...SECCOMP_VALUES).map((v) => [`container.seccomp.security.alpha.kubernetes.io/${n}`, v] as const)))),
    maybe(fc.constantFrom(...SECCOMP_VALUES)),
    fc.boolean(),
  )
  .chain(([apparmor, seccomp, pod, other]) => {
    const entries: (readonly [string, string])[] = [...apparmor, ...seccomp];
    if (pod !== undefined) entries.push(['seccomp.security.alpha.kubernetes.io/pod', pod]);
    if (other) entries.push(['example.com/note', 'x']);
    return fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length });
  })
  .map((entries) => (entries.length === 0 ? undefined : Object.fromEntries(entries)));

function workload(kind: string, labels: Record<string, string> | undefined, annotations: Record<string, string> | undefined, spec: Record<string, unknown>): Record<string, unknown> {
  const podMeta = { name: 'w', ...(annotations !== undefined ? { annotations } : {}) };
  const meta = { name: 'w', ...(labels !== undefined ? { labels } : {}) };
  if (kind === 'Pod') return { apiVersion: 'v1', kind, metadata: { ...meta, ...podMeta }, spec };
  const t = targetOf(kind);
  // Templates have no ephemeral containers (the API server's schema).
  const { ephemeralContainers: _e, ...podSpec } = spec;
  const template = { metadata: { labels: { app: 'x' }, ...(annotations !== undefined ? { annotations } : {}) }, spec: podSpec };
  const apiVersion = t.group === '' ? 'v1' : `${t.group}/v1`;
  return { apiVersion, kind, metadata: meta, spec: kind === 'CronJob' ? { schedule: '* * * * *', jobTemplate: { spec: { template } } } : { template } };
}

const requestArb = (policy: Policy): fc.Arbitrary<ReturnType<typeof requestFor>> =>
  fc
    .record({
      kind: fc.constantFrom(...policy.match.kinds),
      namespace: fc.constantFrom(...NAMESPACES),
      labels: maybe(fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db'), { maxKeys: 2 })),
      annotations: annotationsArb,
      spec: podSpecArb,
    })
    .map(({ kind, namespace, labels, annotations, spec }) => requestFor(workload(kind, labels, annotations, spec), namespace));

describe('native Pod Security controls (second batch) vs engine: generated policies, exemptions and workloads', () => {
  it('give the engine lines of each control, and of the whole rule, on generated Pods and controllers', () => {
    const lines = new Map<PssControl, number>();
    let compared = 0;
    let relieved = 0;
    let partial = 0;
    let whole = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        policyArb.chain((p) => fc.tuple(fc.constant(p), fc.array(requestArb(p), { minLength: 1, maxLength: 3 }))),
        ([policy, requests]) => {
          const rule = policy.rules[0] as Rule & { level: PssLevel; version: string };
          const bare = { ...policy, exemptions: [] };
          const refusedHere = reliefRefused(policy);
          for (const control of MINE) {
            if (!applies(rule.level, rule.version, control)) continue;
            if (refusedHere && control === 'seccompProfile_restricted') {
              const [result] = compiled(policy, control).results;
              expect(result.kind === 'notExpressible' && result.reason).toMatch(POD_DEFAULTS_REASON);
              refused += 1;
              continue;
            }
            for (const req of requests) {
              const line = expectLines(policy, compiled(policy, control), control, req);
              compared += 1;
              if (line !== '') lines.set(control, (lines.get(control) ?? 0) + 1);
              if (line.includes('(exempted: ')) partial += 1;
              if (policy.exemptions.length > 0 && line !== linesOf(bare, compiled(bare, control), control, req).native) relieved += 1;
            }
          }
          if (refusedHere) {
            expect(compiled(policy).results[0].kind).toBe('notExpressible');
            return;
          }
          for (const req of requests) {
            expectLines(policy, compiled(policy), undefined, req);
            whole += 1;
          }
        },
      ),
      { numRuns: 400 },
    );
    console.log({ compared, whole, refused, relieved, partial, lines: Object.fromEntries(lines) });
    expect(compared).toBeGreaterThan(2000);
    expect(whole).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(10);
    expect([...lines.keys()].sort()).toEqual([...MINE].sort());
    expect(relieved).toBeGreaterThan(50);
    expect(partial).toBeGreaterThan(0);
  });
});

/** A policy of Pod defaults (defaultSeccomp) as another policy of the bundle. */
const defaultsArb: fc.Arbitrary<Policy> = fc
  .record({
    mode: fc.constantFrom<'Audit' | 'Enforce'>('Enforce', 'Enforce', 'Audit'),
    kinds: fc.constantFrom<string[]>(['Pod'], ['Pod', 'Deployment'], ['Deployment']),
    operations: fc.constantFrom<('CREATE' | 'UPDATE')[]>(['CREATE'], ['CREATE', 'UPDATE'], ['UPDATE']),
    namespaces: maybe(fc.constantFrom<string[]>(['apps'], ['apps-*', 'ops'], ['nowhere'])),
    namespaceSelector: rarely(selector),
    objectSelector: rarely(fc.constantFrom<LabelSelector>({ matchLabels: { app: 'x' } }, { matchLabels: { app: 'y' } }, { matchLabels: { 'pod-template-hash': 'h' } })),
    excluded: rarely(fc.constantFrom<string[]>(['ops'], ['apps*'])),
  })
  .map((d) => {
    const match: Policy['match'] = { kinds: d.kinds, operations: d.operations };
    if (d.namespaces !== undefined) match.namespaces = d.namespaces;
    if (d.namespaceSelector !== undefined) match.namespaceSelector = d.namespaceSelector;
    if (d.objectSelector !== undefined) match.objectSelector = d.objectSelector;
    const rules = d.kinds.map((k): Rule => ({ name: k === 'Pod' ? 'seccomp' : `autogen-${k.toLowerCase()}-seccomp`, type: 'defaultSeccomp', profile: 'RuntimeDefault', target: targetOf(k), ...(k === 'Pod' ? {} : { autogenFrom: 'seccomp' }) }));
    const policy: Policy = { name: 'defaults', mode: d.mode, failurePolicy: 'Ignore', timeoutSeconds: 5, controllers: d.kinds.filter((k) => k !== 'Pod'), match, rules, exemptions: [] };
    if (d.excluded !== undefined) policy.exclude = { namespaces: d.excluded };
    return policy;
  });

/** A defaults policy that may certainly select Pods (Enforce, Pod CREATE, no namespace selector): globs, object selector and exclusions decide. */
const certainDefaultsArb: fc.Arbitrary<Policy> = defaultsArb.map((d) => {
  const { namespaceSelector: _s, ...match } = d.match;
  const rules = d.rules.some((r) => r.target.kind === 'Pod') ? d.rules : [{ name: 'seccomp', type: 'defaultSeccomp', profile: 'RuntimeDefault', target: targetOf('Pod') } satisfies Rule, ...d.rules];
  return { ...d, mode: 'Enforce', match: { ...match, kinds: ['Pod', ...match.kinds.filter((k) => k !== 'Pod')], operations: ['CREATE'] }, rules };
});

/** A controller or Pod for the Pod-defaults tests: its template's (or its own) labels and annotations chosen. */
function defaultsWorkload(kind: string, labels: Record<string, string> | undefined, annotations: Record<string, string> | undefined, spec: Record<string, unknown>): Record<string, unknown> {
  const object = workload(kind, labels, annotations, spec);
  if (kind === 'Pod') return object;
  const template = (kind === 'CronJob' ? (object.spec as { jobTemplate: { spec: { template: { metadata: Record<string, unknown> } } } }).jobTemplate.spec : object.spec) as { template: { metadata: Record<string, unknown> } };
  const { labels: _l, ...rest } = template.template.metadata;
  template.template.metadata = labels === undefined ? rest : { ...rest, labels };
  return object;
}

/** Restricted-compliant but for seccomp, with the seccomp choices that decide whether defaultSeccomp adds a profile. */
const seccompSpecArb: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    pod: fc.constantFrom<Record<string, unknown> | undefined | null>(undefined, undefined, null, {}, { runAsNonRoot: true }, { seccompProfile: { type: 'Unconfined' } }, { seccompProfile: { type: 'RuntimeDefault' } }),
    container: fc.constantFrom<Record<string, unknown> | undefined>(undefined, undefined, { type: 'Unconfined' }, { type: 'RuntimeDefault' }, { type: 'Localhost', localhostProfile: 'p' }),
    init: fc.boolean(),
    windows: rarely(fc.constant(true)),
  })
  .map(({ pod, container, init, windows }) => {
    const sc = (profile?: Record<string, unknown>): Record<string, unknown> => ({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, ...(profile !== undefined ? { seccompProfile: profile } : {}) });
    const spec: Record<string, unknown> = { containers: [{ name: 'c0', image: 'nginx', securityContext: sc(container) }, { name: 'c1', image: 'nginx', securityContext: sc() }] };
    if (init) spec.initContainers = [{ name: 'init0', image: 'nginx', securityContext: sc() }];
    if (pod !== undefined) spec.securityContext = pod;
    if (windows === true) spec.os = { name: 'windows' };
    return spec;
  });

const defaultsRequestArb = (kinds: readonly string[]): fc.Arbitrary<NativeRequest> =>
  fc
    .record({
      kind: fc.constantFrom(...kinds),
      namespace: fc.constantFrom(...NAMESPACES),
      labels: fc.constantFrom<Record<string, string> | undefined>(undefined, { app: 'x' }, { app: 'y' }, { app: 'x', 'pod-template-hash': 'h' }),
      annotations: rarely(fc.constantFrom<Record<string, string>>({ 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' }, { 'container.seccomp.security.alpha.kubernetes.io/c0': 'runtime/default' }, { other: 'x' })),
      spec: fc.oneof({ weight: 3, arbitrary: seccompSpecArb }, { weight: 1, arbitrary: podSpecArb }),
      update: fc.constantFrom<'create' | 'update' | 'unchanged'>('create', 'create', 'update', 'unchanged'),
    })
    .map(({ kind, namespace, labels, annotations, spec, update }) => {
      const object = defaultsWorkload(kind, labels, annotations, spec);
      const req = requestFor(object, namespace);
      if (update === 'create') return req;
      const oldObject = update === 'unchanged' ? structuredClone(object) : defaultsWorkload(kind, labels, annotations, { containers: [{ name: 'old', image: 'old' }] });
      return { ...req, operation: 'UPDATE', oldObject };
    });

describe('native Pod Security (second batch): the bundle\'s Pod defaults (controllers judged as their Pods will be)', () => {
  it('compile a Pod+controller restricted rule with the bundle\'s defaultSeccomp defaults and decide as the engine with the bundle (templates judged with a RuntimeDefault pod profile where a default certainly applies)', () => {
    let compiledRules = 0;
    let compared = 0;
    let relievedByEngine = 0;
    let maySelect = 0;
    fc.assert(
      fc.property(
        fc.constantFrom('v1.19', 'v1.25', 'latest'),
        fc.constantFrom(['Pod', 'Deployment'], ['Pod', 'Job', 'CronJob'], KINDS),
        fc.array(fc.oneof(defaultsArb, certainDefaultsArb), { minLength: 1, maxLength: 2 }),
        fc.constantFrom<string[]>(['apps'], ['ops'], ['*']),
        fc.record({ namespaces: rarely(fc.constantFrom<string[]>(['apps*'], ['ops', 'team-x'])), objectSelector: rarely(fc.constantFrom<LabelSelector>({ matchLabels: { app: 'x' } }, { matchLabels: { 'pod-template-hash': 'h' } })), excluded: rarely(fc.constantFrom<string[]>(['apps-b'])) }),
        (version, kinds, defaults, exemptNamespaces, own) => {
          const base = pssPolicy('restricted', version, { kinds, exemptions: [{ name: 'other', owner: 'o', reason: 'r', namespaces: exemptNamespaces, controls: [{ control: 'privileged' }] }] });
          const match: Policy['match'] = { ...base.match };
          if (own.namespaces !== undefined) match.namespaces = own.namespaces;
          if (own.objectSelector !== undefined) match.objectSelector = own.objectSelector;
          const policy: Policy = { ...base, match, ...(own.excluded !== undefined ? { exclude: { namespaces: own.excluded } } : {}) };
          const bundle = [policy, ...defaults.map((d, i) => ({ ...d, name: `defaults-${i}` }))];
          const rule = compileWith(policy, NATIVE_PSS_CONTROLS, undefined, bundle);
          expect(rule.results[0].kind, JSON.stringify(rule.results)).toBe('compiled');
          compiledRules += 1;
          if (bundle.slice(1).some((p) => p.mode === 'Enforce' && p.match.kinds.includes('Pod') && p.match.operations.includes('CREATE') && p.match.namespaceSelector === undefined)) maySelect += 1;
          const requests = fc.sample(defaultsRequestArb(kinds), { numRuns: 12, seed: compiledRules });
          for (const req of requests) {
            const line = expectLines(policy, rule, undefined, req, bundle);
            compared += 1;
            const asWritten = linesOf(policy, rule, undefined, req, [policy]).engine;
            if (req.kind.kind !== 'Pod' && asWritten.includes('seccompProfile_restricted') && !line.includes('seccompProfile_restricted')) relievedByEngine += 1;
          }
        },
      ),
      { numRuns: 300 },
    );
    console.log({ compiledRules, maySelect, compared, relievedByEngine });
    expect(compiledRules).toBe(300);
    expect(maySelect).toBeGreaterThan(40);
    expect(relievedByEngine).toBeGreaterThan(10);
  });

  it('fails the oracle when one character of the defaulted condition is changed (a legacy container annotation is a choice)', () => {
    const defaults = { name: 'seccomp-default', mode: 'Enforce', failurePolicy: 'Ignore', timeoutSeconds: 5, controllers: [], match: { kinds: ['Pod'], operations: ['CREATE'] }, rules: [{ name: 'seccomp', type: 'defaultSeccomp', profile: 'RuntimeDefault', target: targetOf('Pod') }], exemptions: [] } satisfies Policy;
    const policy = pssPolicy('restricted', 'latest', { kinds: ['Pod', 'Deployment'] });
    const bundle = [policy, defaults];
    const c = compileWith(policy, NATIVE_PSS_CONTROLS, 'seccompProfile_restricted', bundle);
    const objects = structuredClone(c.objects as NativeObjects);
    const variables = vapSpec(objects).variables;
    const rule = variables.filter((v) => !v.name.endsWith('_message')).at(-1) as { name: string; expression: string };
    expect(rule.expression).toContain('sk.startsWith("container.seccomp');
    rule.expression = rule.expression.replace('sk.startsWith("container.seccomp', 'sk.startsWith("container.seccomq');
    const spec = { containers: [{ name: 'c0', image: 'nginx' }] };
    const annotated = requestFor(defaultsWorkload('Deployment', { app: 'x' }, { 'container.seccomp.security.alpha.kubernetes.io/c0': 'runtime/default' }, spec), 'apps');
    expect(expectLines(policy, c, 'seccompProfile_restricted', annotated, bundle)).toContain('container "c0" securityContext.seccompProfile.type=<unset> is not allowed');
    expect(() => expectLines(policy, { ...c, objects }, 'seccompProfile_restricted', annotated, bundle)).toThrow(/seccompProfile_restricted on/);
    const plain = requestFor(defaultsWorkload('Deployment', { app: 'x' }, undefined, spec), 'apps');
    expect(expectLines(policy, c, 'seccompProfile_restricted', plain, bundle)).toBe('');
    expect(expectLines(policy, { ...c, objects }, 'seccompProfile_restricted', plain, bundle)).toBe('');
  });
});

describe('native Pod Security (second batch): the reference bundle\'s seccomp-default and pod-security/restricted', () => {
  it('compiles pod-security/restricted with the bundle and decides Pods and controllers as the engine with the bundle (CREATE and UPDATE, carved namespaces skipped by the oracle)', () => {
    const reference = JSON.parse(readFileSync(path.join(ROOT, 'dist/portcullis-bundle.json'), 'utf8')) as { policies: Policy[] };
    const policy = reference.policies.find((p) => p.name === 'pod-security');
    expect(policy).toBeDefined();
    if (policy === undefined) return;
    expect(reference.policies.some((p) => p.name === 'seccomp-default' && p.rules.some((r) => r.type === 'defaultSeccomp'))).toBe(true);
    // As compileForTest (compile-input.ts) compiles it: the webhook's selectors, the bundle's policies as Pod defaults.
    const c = compileWith(policy, NATIVE_PSS_CONTROLS, undefined, reference.policies);
    expect(c.results.map((r) => [r.rule, r.kind])).toEqual([['restricted', 'compiled']]);
    let compared = 0;
    let relieved = 0;
    let carved = 0;
    const requests = fc.sample(defaultsRequestArb(KINDS), { numRuns: 600, seed: 7 });
    const namespaces = ['apps', 'payments', 'platform-network', 'observability'];
    for (const [i, base] of requests.entries()) {
      const req = { ...base, namespace: namespaces[i % namespaces.length] };
      const withBundle = expectEqual(policy, c, req, reference.policies);
      compared += 1;
      if (c.results[0].kind === 'compiled' && (c.results[0].webhookNamespaces ?? []).includes(req.namespace)) carved += 1;
      const asWritten = compareNative(policy, c, req, [policy]).engine.restricted ?? '';
      const judged = withBundle.engine.restricted ?? '';
      if (req.kind.kind !== 'Pod' && asWritten.includes('seccompProfile_restricted') && !judged.includes('seccompProfile_restricted')) relieved += 1;
    }
    console.log({ compared, relieved, carved });
    expect(relieved).toBeGreaterThan(20);
    expect(carved).toBeGreaterThan(100);
  });
});

describe('native Pod Security controls (second batch): partial relief', () => {
  it('relieves sysctls one by one and lists the rest with (exempted: …) exactly as the engine', () => {
    const exemptions: Exemption[] = [{ name: 'tuning', owner: 'o', reason: 'r', namespaces: ['apps'], controls: [{ control: 'sysctls', field: 'sysctls', values: ['kernel.msgmax'] }] }];
    const policy = pssPolicy('baseline', 'latest', { kinds: ['Pod', 'Deployment'], exemptions });
    const spec = { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }, { name: 'net.core.somaxconn', value: '1' }, { name: 'kernel.msgmax', value: '2' }] }, containers: [{ name: 'c0', image: 'nginx' }] };
    for (const kind of ['Pod', 'Deployment']) {
      const inScope = expectLines(policy, compiled(policy, 'sysctls'), 'sysctls', requestFor(workload(kind, undefined, undefined, spec), 'apps'));
      expect(inScope).toContain('sysctls=net.core.somaxconn is not allowed (exempted: kernel.msgmax)');
      const outOfScope = expectLines(policy, compiled(policy, 'sysctls'), 'sysctls', requestFor(workload(kind, undefined, undefined, spec), 'ops'));
      expect(outOfScope).toContain('securityContext.sysctls=kernel.msgmax,net.core.somaxconn is not allowed');
    }
  });
});

describe('native Pod Security controls (second batch): the oracle sees a change', () => {
  it('fails when one character of a generated expression is changed (AppArmor annotations in key order)', () => {
    const policy = pssPolicy('baseline', 'latest');
    const c = compiled(policy, 'appArmorProfile');
    const objects = structuredClone(c.objects as NativeObjects);
    const variables = vapSpec(objects).variables;
    const rule = variables.filter((v) => !v.name.endsWith('_message')).at(-1) as { name: string; expression: string };
    expect(rule.expression).toContain('y < k');
    rule.expression = rule.expression.replace('y < k', 'y > k');
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: { 'container.apparmor.security.beta.kubernetes.io/a': 'unconfined', 'container.apparmor.security.beta.kubernetes.io/b': 'unconfined' } },
      spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] },
    };
    expect(() => expectLines(policy, { ...c, objects }, 'appArmorProfile', requestFor(pod))).toThrow(/appArmorProfile on/);
    expect(expectLines(policy, c, 'appArmorProfile', requestFor(pod))).toMatch(/container "a" .*\| .*container "b" /);
  });
});

/** The largest generated podSecurity expression (restricted, latest; Pods, or every controller), in characters. */
function largestExpression(): number {
  const sizes = [['Pod'], KINDS.filter((k) => k !== 'Pod')].map((kinds) => {
    const c = compiled(pssPolicy('restricted', 'latest', { kinds }));
    return Math.max(...vapSpec(c.objects as NativeObjects).variables.map((v) => v.expression.length));
  });
  return Math.max(...sizes);
}

describe('native Pod Security: size', () => {
  it('reports the largest generated expression (restricted, latest)', () => {
    const size = largestExpression();
    console.log({ largestExpression: size });
    expect(size).toBeGreaterThan(0);
    expect(checksFor('restricted', 'latest').length).toBeGreaterThan(10);
  });
});

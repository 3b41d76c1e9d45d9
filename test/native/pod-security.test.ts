/**
 * Differential tests of the podSecurity family in CEL (runtime/native/pod-security.ts and
 * runtime/native/pss/): every compiled control is compared alone with the engine's findings of
 * that control (lines, in order, after exemptions) over the upstream Pod Security fixtures (every
 * level and version) and fast-check generated Pods and controllers with exemptions; the whole rule
 * is compared wherever every applying control compiles.
 */
import path from 'node:path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Exemption, Policy, PssControl, Rule } from '../../runtime/bundle';
import { evaluateNow } from '../../runtime/engine/evaluate';
import type { PssLevel } from '../../runtime/engine/pss/check';
import { PSS_CHECKS, checksFor } from '../../runtime/engine/pss/registry';
import type { Decision } from '../../runtime/engine/types';
import { compilePolicy, type CompiledPolicy } from '../../runtime/native';
import { boundNativeMessage } from '../../runtime/native/message-bound';
import { podSecurityCompiler } from '../../runtime/native/pod-security';
import type { NativeControl } from '../../runtime/native/pss/control';
import { NATIVE_PSS_CONTROLS } from '../../runtime/native/pss/registry';
import { violationLine } from '../../runtime/server/violation-text';
import { webhookSelectors } from '../../constructs/webhook-groups';
import { readArchive } from '../conformance/archive';
import { evaluateNative, type NativeRequest } from './cel-harness';
import { engineInput, NEVER, RUNTIME_NAMESPACE } from './compile-input';
import { compileForTest, expectEqual } from './differential';
import { exemptionArb, IMAGE_GLOBS, maybe, pssPolicyArb, rarely } from './pss-arbitraries';
import { applies, memoCompile, POD_DEFAULTS_REASON, pssPolicy, requestFor, targetOf } from './pss-oracle';

const controlOf = memoCompile(NATIVE_PSS_CONTROLS);

const ROOT = path.resolve(__dirname, '../..');
const COMPILED = NATIVE_PSS_CONTROLS.map((c) => c.id);

/** The engine's lines of `control` and the CEL lines of the control compiled alone, joined. */
function controlLines(policy: Policy, compiled: CompiledPolicy, control: PssControl | readonly PssControl[], req: NativeRequest): { engine: string; native: string } {
  const controls: readonly string[] = typeof control === 'string' ? [control] : control;
  const objects = compiled.objects;
  if (objects === undefined) {
    // Refused where the Pod-defaults relief may apply (pss/seccomp-restricted.ts; pod-security-b.test.ts checks where): it stays on the webhook.
    if (compiled.results.every((r) => r.kind === 'notExpressible' && POD_DEFAULTS_REASON.test(r.reason))) return { engine: '', native: '' };
    throw new Error(`${controls.join(', ')}: ${JSON.stringify(compiled.results)}`);
  }
  const input = engineInput(req);
  const decision = evaluateNow('validate', input, [policy], { now: new Date('2026-06-01T00:00:00Z'), excludedNamespaces: [RUNTIME_NAMESPACE], podDefaults: [policy] }) as Decision;
  expect(decision.errors).toEqual([]);
  const native = evaluateNative(objects, req);
  // The CEL message is cut before the API server's 5 KiB limit (message-bound.ts): the engine's lines are cut alike.
  const engine = native.matched ? boundNativeMessage([...decision.violations, ...decision.warnings].filter((v) => controls.includes(v.control)).map(violationLine).join(' | ')) : '';
  return { engine, native: native.failures.map((f) => f.message).join(' | ') };
}

function expectControl(policy: Policy, compiled: CompiledPolicy, control: PssControl | readonly PssControl[], req: NativeRequest): string {
  const c = controlLines(policy, compiled, control, req);
  expect(c.native, `${String(control)} on ${JSON.stringify(req.object).slice(0, 400)}`).toEqual(c.engine);
  return c.native;
}

/**
 * The whole rule with the controls not compiled yet standing in as "no lines": the compiled
 * controls' lines in the rule's order (check order, then finding order), for the engine's lines of
 * those controls.
 */
const STUBS: NativeControl[] = PSS_CHECKS.filter((c) => !COMPILED.includes(c.id)).map((c) => ({ id: c.id, revisions: c.revisions.map((r) => ({ minVersion: r.minVersion, compile: () => '[]' })) }));
function compileComposed(policy: Policy): CompiledPolicy {
  const selectors = webhookSelectors(policy.match, policy.exclude, NEVER);
  if (typeof selectors === 'string') throw new Error(selectors);
  return compilePolicy(policy, { selectors, families: { podSecurity: podSecurityCompiler([...NATIVE_PSS_CONTROLS, ...STUBS]) } });
}

describe('native Pod Security controls: shape', () => {
  it('every compiled control has the revisions (minVersions) of the engine check', () => {
    for (const native of NATIVE_PSS_CONTROLS) {
      const check = PSS_CHECKS.find((c) => c.id === native.id);
      expect(check, native.id).toBeDefined();
      expect(native.revisions.map((r) => r.minVersion), native.id).toEqual(check?.revisions.map((r) => r.minVersion));
    }
  });

  it('a rule whose applying controls are not all compiled stays on the webhook, naming the control', () => {
    const missing = PSS_CHECKS.map((c) => c.id).filter((id) => !COMPILED.includes(id));
    if (missing.length === 0) return;
    const [result] = compileForTest(pssPolicy('restricted', 'latest')).results;
    expect(result.kind).toBe('notExpressible');
    expect(result.kind === 'notExpressible' && result.reason).toMatch(/^Pod Security control \S+ \(restricted at latest\) is not compiled to CEL in this version$/);
  });
});

describe('native Pod Security controls vs engine: upstream Pod Security fixtures', () => {
  const files = readArchive(path.join(ROOT, 'test/conformance/pss-upstream/fixtures.ndjson.gz'));
  const policies = new Map<string, Policy>();

  it('give the engine lines of each compiled control on every fixture (every level and version)', () => {
    let compared = 0;
    let denied = 0;
    const seen = new Set<PssControl>();
    for (const [file, content] of files) {
      const m = /^(baseline|restricted)\/(v1\.\d+)\/(pass|fail)\/[^/]+\.yaml$/.exec(file);
      if (m === null) continue;
      const level = m[1] as PssLevel;
      const version = m[2];
      const key = `${level}/${version}`;
      let policy = policies.get(key);
      if (policy === undefined) policies.set(key, (policy = pssPolicy(level, version)));
      for (const doc of parseAllDocuments(content)) {
        const object = doc.toJS() as Record<string, unknown> | null;
        if (object === null || object.kind !== 'Pod') continue;
        for (const control of COMPILED) {
          if (!applies(level, version, control)) continue;
          const line = expectControl(policy, controlOf(policy, control), control, requestFor(object));
          compared += 1;
          if (line !== '') {
            denied += 1;
            seen.add(control);
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(10000);
    expect(denied).toBeGreaterThan(100);
    expect([...seen].sort()).toEqual([...COMPILED].sort());
  });

  it('give the engine lines of all compiled controls together, in the rule order, on every fixture', () => {
    const composed = new Map<string, { policy: Policy; compiled: CompiledPolicy }>();
    let several = 0;
    for (const [file, content] of files) {
      const m = /^(baseline|restricted)\/(v1\.\d+)\/(pass|fail)\/[^/]+\.yaml$/.exec(file);
      if (m === null) continue;
      const key = `${m[1]}/${m[2]}`;
      let c = composed.get(key);
      if (c === undefined) {
        const policy = pssPolicy(m[1] as PssLevel, m[2]);
        composed.set(key, (c = { policy, compiled: compileComposed(policy) }));
      }
      for (const doc of parseAllDocuments(content)) {
        const object = doc.toJS() as Record<string, unknown> | null;
        if (object === null || object.kind !== 'Pod') continue;
        const line = expectControl(c.policy, c.compiled, COMPILED, requestFor(object));
        if (new Set([...line.matchAll(/\] (\w+): /g)].map((x) => x[1])).size > 1) several += 1;
      }
    }
    expect(several).toBeGreaterThan(50);
  });

  it('decide every fixture exactly as the engine with the whole rule wherever every applying control compiles', () => {
    let whole = 0;
    let refused = 0;
    const wholeRules = new Map<string, { policy: Policy; compiled: CompiledPolicy }>();
    for (const [file, content] of files) {
      const m = /^(baseline|restricted)\/(v1\.\d+)\/(pass|fail)\/[^/]+\.yaml$/.exec(file);
      if (m === null) continue;
      const key = `${m[1]}/${m[2]}`;
      let entry = wholeRules.get(key);
      if (entry === undefined) {
        const p = pssPolicy(m[1] as PssLevel, m[2]);
        wholeRules.set(key, (entry = { policy: p, compiled: compileForTest(p) }));
      }
      const { policy, compiled } = entry;
      const missing = checksFor(m[1] as PssLevel, m[2]).filter((c) => !COMPILED.includes(c.id));
      expect(compiled.results[0].kind).toBe(missing.length === 0 ? 'compiled' : 'notExpressible');
      if (missing.length > 0) {
        refused += 1;
        continue;
      }
      for (const doc of parseAllDocuments(content)) {
        const object = doc.toJS() as Record<string, unknown> | null;
        if (object !== null && object.kind === 'Pod') expectEqual(policy, compiled, requestFor(object));
      }
      whole += 1;
    }
    expect(whole + refused).toBeGreaterThan(4000);
  });
});

// ---- generated policies, exemptions and workloads ----------------------------------------------

const VERSIONS = ['v1.0', 'v1.8', 'v1.22', 'v1.23', 'v1.24', 'v1.25', 'v1.34', 'v1.35', 'latest', 'v1.99'];
const NAMESPACES = ['apps', 'apps-b', 'team-x', 'ops'];
const CAPS = ['ALL', 'NET_BIND_SERVICE', 'CHOWN', 'SYS_ADMIN', 'NET_RAW', 'sys_admin', 'KILL', 'a"b\\c', 'x\ny', ''];
const IMAGES = ['nginx', 'registry.example.com/app:v1', 'registry.example.com/team/app', 'Bad Image', ''];
const HOST_PATHS = ['/var/log', '/', '/etc/x"y', ''];

/** Exempt fields: exemptField names, container-relative fields, full fields with indexes (of Pods and templates). */
const FIELDS = [
  'hostPID', 'hostNetwork', 'spec.hostIPC', 'spec.template.spec.hostPID',
  'securityContext.privileged', 'spec.containers[0].securityContext.privileged', 'spec.template.spec.initContainers[0].securityContext.privileged', 'spec.containers[01].securityContext.privileged',
  'securityContext.windowsOptions.hostProcess', 'spec.securityContext.windowsOptions.hostProcess', 'spec.ephemeralContainers[0].securityContext.windowsOptions.hostProcess',
  'capabilities.add', 'capabilities.drop', 'securityContext.capabilities.add', 'spec.containers[1].securityContext.capabilities.drop',
  'hostPath.path', 'spec.volumes[0].hostPath', 'spec.template.spec.volumes[1].hostPath', 'volumes[0].hostPath',
  'ports.hostPort', 'ports[1].hostPort', 'spec.containers[0].ports[0].hostPort', 'spec.jobTemplate.spec.template.spec.containers[1].ports[1].hostPort',
  'allowPrivilegeEscalation', 'securityContext.allowPrivilegeEscalation', 'runAsNonRoot', 'spec.securityContext.runAsNonRoot', 'runAsUser', 'securityContext.runAsUser',
  'image',
];
const VALUES = ['true', 'false', 'SYS_ADMIN', 'NET_RAW', 'sys_admin', 'a"b\\c', 'KILL', '8080', '80', '/var/log', '/', '', '0', '<unset>'];

const exemptions = exemptionArb(
  fc.record({
    control: fc.constantFrom(...COMPILED, 'other'),
    field: maybe(fc.constantFrom(...FIELDS)),
    values: maybe(fc.subarray(VALUES, { maxLength: 3 })),
    images: IMAGE_GLOBS,
  }),
);

const policyArb = pssPolicyArb(exemptions, VERSIONS);

const boolOpt = fc.option(fc.boolean(), { nil: undefined });
const securityContextArb = fc.record(
  {
    privileged: boolOpt,
    allowPrivilegeEscalation: boolOpt,
    runAsNonRoot: boolOpt,
    runAsUser: fc.option(fc.constantFrom(0, 1000), { nil: undefined }),
    windowsOptions: fc.record({ hostProcess: boolOpt }, { requiredKeys: [] }),
    capabilities: fc.record({ add: fc.array(fc.constantFrom(...CAPS), { maxLength: 4 }), drop: fc.array(fc.constantFrom(...CAPS), { maxLength: 2 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);
const portsArb = fc.array(
  fc.record({ containerPort: fc.constantFrom(80, 8080), hostPort: fc.option(fc.constantFrom(0, 80, 8080), { nil: undefined }) }, { requiredKeys: ['containerPort'] }).map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined))),
  { maxLength: 3 },
);
const containerArb = fc.record({ image: fc.option(fc.constantFrom(...IMAGES), { nil: undefined }), securityContext: fc.option(securityContextArb, { nil: undefined }), ports: fc.option(portsArb, { nil: undefined }) });
function containers(prefix: string, list: { image?: string; securityContext?: unknown; ports?: unknown }[]): Record<string, unknown>[] {
  return list.map((c, i) => Object.fromEntries(Object.entries({ name: `${prefix}${i}`, ...c }).filter(([, v]) => v !== undefined)));
}
const podSpecArb = fc
  .record(
    {
      hostPID: boolOpt,
      hostIPC: boolOpt,
      hostNetwork: boolOpt,
      hostUsers: boolOpt,
      os: fc.option(fc.record({ name: fc.constantFrom('linux', 'windows') }), { nil: undefined }),
      securityContext: fc.option(fc.record({ runAsNonRoot: boolOpt, runAsUser: fc.option(fc.constantFrom(0, 1000), { nil: undefined }), windowsOptions: fc.record({ hostProcess: boolOpt }, { requiredKeys: [] }) }, { requiredKeys: [] }), { nil: undefined }),
      volumes: fc.array(fc.oneof(fc.constantFrom(...HOST_PATHS).map((p) => ({ hostPath: { path: p } })), fc.constant({ emptyDir: {} })), { maxLength: 3 }),
      containers: fc.array(containerArb, { minLength: 1, maxLength: 3 }),
      initContainers: fc.array(containerArb, { maxLength: 2 }),
      ephemeralContainers: fc.array(containerArb, { maxLength: 1 }),
    },
    { requiredKeys: ['containers'] },
  )
  .map((s) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s)) {
      if (v === undefined) continue;
      if (k === 'volumes') out.volumes = (v as object[]).map((x, i) => ({ name: `vol-${i}`, ...x }));
      else if (k === 'containers') out.containers = containers('c', v as never);
      else if (k === 'initContainers') out.initContainers = containers('init', v as never);
      // Ephemeral containers have no ports (API-server validation).
      else if (k === 'ephemeralContainers') out.ephemeralContainers = containers('debug', (v as { ports?: unknown }[]).map(({ ports: _p, ...c }) => c));
      else out[k] = v;
    }
    // A JSON object as the API server has it: no undefined members.
    return uniqueHostPorts(JSON.parse(JSON.stringify(out)) as Record<string, unknown>);
  });

/**
 * The API server refuses two ports with the same protocol, hostIP and non-zero hostPort across the
 * containers (and within each init container): a repeated host port becomes the next free one.
 */
function uniqueHostPorts(spec: Record<string, unknown>): Record<string, unknown> {
  const used = new Set<number>();
  for (const list of [spec.containers, spec.initContainers] as ({ ports?: { hostPort?: number }[] }[] | undefined)[]) {
    for (const c of list ?? []) {
      for (const p of c.ports ?? []) {
        if (p.hostPort === undefined || p.hostPort === 0) continue;
        while (used.has(p.hostPort)) p.hostPort += 1;
        used.add(p.hostPort);
      }
    }
  }
  return spec;
}

function workload(kind: string, labels: Record<string, string> | undefined, spec: Record<string, unknown>): Record<string, unknown> {
  const meta = { name: 'w', ...(labels !== undefined ? { labels } : {}) };
  const t = targetOf(kind);
  if (kind === 'Pod') return { apiVersion: 'v1', kind, metadata: meta, spec };
  // Templates have no ephemeral containers (the API server's schema).
  const { ephemeralContainers: _e, ...podSpec } = spec;
  const template = { metadata: { labels: { app: 'x' } }, spec: podSpec };
  const apiVersion = t.group === '' ? 'v1' : `${t.group}/v1`;
  return { apiVersion, kind, metadata: meta, spec: kind === 'CronJob' ? { schedule: '* * * * *', jobTemplate: { spec: { template } } } : { template } };
}

const requestArb = (policy: Policy): fc.Arbitrary<NativeRequest> =>
  fc
    .record({
      kind: fc.constantFrom(...policy.match.kinds),
      namespace: fc.constantFrom(...NAMESPACES),
      labels: fc.option(fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db'), { maxKeys: 2 }), { nil: undefined }),
      spec: podSpecArb,
      update: fc.option(fc.record({ old: podSpecArb, same: fc.boolean(), ephemeral: fc.boolean() }), { nil: undefined }),
    })
    .map(({ kind, namespace, labels, spec, update }) => {
      const req = requestFor(workload(kind, labels, spec), namespace);
      if (update === undefined) return req;
      // An UPDATE: unchanged pod spec (not re-evaluated), a changed one, or `kubectl debug` on a Pod.
      const old = workload(kind, labels, update.same ? spec : update.old);
      return { ...req, operation: 'UPDATE', oldObject: old, ...(update.ephemeral && kind === 'Pod' ? { subResource: 'ephemeralcontainers' } : {}) };
    });

describe('native Pod Security controls vs engine: generated policies, exemptions and workloads', () => {
  it('give the engine lines of each compiled control on generated Pods and controllers', () => {
    let compared = 0;
    let lines = 0;
    let relieved = 0;
    let partial = 0;
    fc.assert(
      fc.property(
        policyArb.chain((p) => fc.tuple(fc.constant(p), fc.array(requestArb(p), { minLength: 1, maxLength: 4 }))),
        ([policy, requests]) => {
          const rule = policy.rules[0] as Rule & { level: PssLevel; version: string };
          const bare = { ...policy, exemptions: [] };
          const composed = compileComposed(policy);
          for (const req of requests) expectControl(policy, composed, COMPILED, req);
          for (const control of COMPILED) {
            if (!applies(rule.level, rule.version, control)) continue;
            const compiled = controlOf(policy, control);
            for (const req of requests) {
              const line = expectControl(policy, compiled, control, req);
              compared += 1;
              if (line !== '') lines += 1;
              if (line.includes('(exempted: ')) partial += 1;
              if (policy.exemptions.length > 0 && line !== expectControl(bare, controlOf(bare, control), control, req)) relieved += 1;
            }
          }
        },
      ),
      { numRuns: 200 },
    );
    expect(compared).toBeGreaterThan(1000);
    expect(lines).toBeGreaterThan(300);
    expect(relieved).toBeGreaterThan(20);
    expect(partial).toBeGreaterThanOrEqual(0);
  });
});

describe('native Pod Security controls: the oracle sees a change', () => {
  it('fails when a generated control expression is altered', () => {
    const policy = pssPolicy('baseline', 'latest');
    const compiled = controlOf(policy, 'privileged');
    const objects = structuredClone(compiled.objects as NonNullable<CompiledPolicy['objects']>);
    const variables = (objects.policy as { spec: { variables: { name: string; expression: string }[] } }).spec.variables;
    const rule = variables.filter((v) => !v.name.endsWith('_message')).at(-1) as { name: string; expression: string };
    expect(rule.expression).toContain('"init container \\""');
    rule.expression = rule.expression.replace('"init container \\""', '"container \\""');
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { initContainers: [{ name: 'i', image: 'x', securityContext: { privileged: true } }], containers: [{ name: 'c', image: 'x' }] } };
    expect(() => expectControl(policy, { ...compiled, objects }, 'privileged', requestFor(pod))).toThrow(/privileged on/);
    expect(expectControl(policy, compiled, 'privileged', requestFor(pod))).toContain('init container "i" securityContext.privileged=true is not allowed');
  });
});

describe('native Pod Security controls vs engine: capabilities, repeated values and partial relief', () => {
  const CAP_FIELDS = ['capabilities.add', 'securityContext.capabilities.add', 'spec.containers[0].securityContext.capabilities.add', 'spec.template.spec.containers[1].securityContext.capabilities.add', 'capabilities.drop'];
  const capExemption: fc.Arbitrary<Exemption> = fc
    .record({
      namespaces: rarely(fc.constantFrom<string[]>(['apps'], ['team-?'])),
      controls: fc.array(
        fc.record({
          control: fc.constantFrom('capabilities_baseline', 'capabilities_restricted'),
          field: rarely(fc.constantFrom(...CAP_FIELDS)),
          values: fc.subarray(CAPS, { minLength: 1, maxLength: 4 }),
          images: rarely(fc.constantFrom(['registry.example.com/**'], ['nginx'])),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    })
    .map((e) => {
      const out: Exemption = { name: 'ex', owner: 'o', reason: 'r', controls: e.controls.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as Exemption['controls'][number]) };
      if (e.namespaces !== undefined) out.namespaces = e.namespaces;
      return out;
    });
  const capPolicy = fc
    .record({ level: fc.constantFrom<PssLevel>('baseline', 'restricted'), kinds: fc.subarray(['Pod', 'Deployment'], { minLength: 1 }), exemptions: fc.array(capExemption, { minLength: 1, maxLength: 3 }) })
    .map((p) => pssPolicy(p.level, 'latest', { kinds: p.kinds, exemptions: p.exemptions.map((e, i) => ({ ...e, name: `ex-${i}` })) }));
  const capContainers = fc.array(
    fc.record({ image: fc.constantFrom(...IMAGES), add: fc.array(fc.constantFrom(...CAPS), { maxLength: 7 }), drop: fc.option(fc.array(fc.constantFrom(...CAPS), { maxLength: 2 }), { nil: undefined }) }),
    { minLength: 1, maxLength: 3 },
  );

  it('relieve values one by one and list the rest with (exempted: …) exactly as the engine', () => {
    let partial = 0;
    let compared = 0;
    fc.assert(
      fc.property(capPolicy, capContainers, fc.constantFrom(...NAMESPACES), (policy, list, namespace) => {
        const spec = { containers: list.map((c, i) => ({ name: `c${i}`, image: c.image, securityContext: { capabilities: { add: c.add, ...(c.drop !== undefined ? { drop: c.drop } : {}) } } })) };
        const rule = policy.rules[0] as Rule & { level: PssLevel };
        const control = rule.level === 'baseline' ? 'capabilities_baseline' : 'capabilities_restricted';
        for (const kind of policy.match.kinds) {
          const line = expectControl(policy, controlOf(policy, control), control, requestFor(workload(kind, undefined, spec), namespace));
          compared += 1;
          if (line.includes('(exempted: ')) partial += 1;
        }
      }),
      { numRuns: 400 },
    );
    expect(compared).toBeGreaterThan(400);
    expect(partial).toBeGreaterThan(30);
  });

  it('lists repeated capabilities once, where each first occurs (16 distinct values deep)', () => {
    const policy = pssPolicy('baseline', 'latest');
    const many = Array.from({ length: 16 }, (_, i) => `CAP_${i}`);
    for (const add of [['B', 'A', 'B', 'C', 'A'], [...many, ...many.reverse()], ['X', 'Y', 'X', ...many]]) {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { capabilities: { add } } }] } };
      expect(expectControl(policy, controlOf(policy, 'capabilities_baseline'), 'capabilities_baseline', requestFor(pod))).toContain(`add=${JSON.stringify([...new Set(add)])} is not allowed`);
    }
  });
});


describe('native Pod Security controls vs engine: exemptions by index, value and image', () => {
  const ex = (...controls: Exemption['controls']): Exemption[] => [{ name: 'e', owner: 'o', reason: 'r', controls }];
  const lines = (policy: Policy, control: PssControl, object: Record<string, unknown>): string[] => expectControl(policy, controlOf(policy, control), control, requestFor(object)).split(' | ').filter((l) => l !== '');
  const pod = (spec: Record<string, unknown>): Record<string, unknown> => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec });

  it('relieve the container, port and volume an exemption names by index', () => {
    const privileged = pssPolicy('baseline', 'latest', { exemptions: ex({ control: 'privileged', field: 'spec.containers[1].securityContext.privileged' }) });
    const two = pod({ containers: [{ name: 'a', image: 'x', securityContext: { privileged: true } }, { name: 'b', image: 'x', securityContext: { privileged: true } }] });
    expect(lines(privileged, 'privileged', two).map((l) => /container "(\w)"/.exec(l)?.[1])).toEqual(['a']);

    const ports = pssPolicy('baseline', 'latest', { kinds: ['Deployment'], exemptions: ex({ control: 'hostPorts', field: 'spec.template.spec.initContainers[0].ports[1].hostPort' }) });
    const deployment = workload('Deployment', undefined, { initContainers: [{ name: 'i', image: 'x', ports: [{ containerPort: 1, hostPort: 81 }, { containerPort: 2, hostPort: 82 }] }], containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 3, hostPort: 83 }] }] });
    expect(lines(ports, 'hostPorts', deployment).map((l) => /ports\[\d\]\.hostPort=\d+/.exec(l)?.[0])).toEqual(['ports[0].hostPort=81', 'ports[0].hostPort=83']);

    const volumes = pssPolicy('baseline', 'latest', { exemptions: ex({ control: 'hostPathVolumes', field: 'spec.volumes[1].hostPath' }, { control: 'hostPathVolumes', field: 'hostPath.path', values: ['/var/log'] }) });
    const mounts = pod({ containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'a', hostPath: { path: '/etc' } }, { name: 'b', hostPath: { path: '/' } }, { name: 'c', hostPath: { path: '/var/log' } }] });
    expect(lines(volumes, 'hostPathVolumes', mounts)).toHaveLength(1);
    expect(lines(volumes, 'hostPathVolumes', mounts)[0]).toContain('pod volume "a" spec.volumes[0].hostPath.path=/etc is not allowed (allowed: no hostPath volumes)');
  });

  it('relieve some capabilities and list the rest with (exempted: …), and narrow by image', () => {
    const policy = pssPolicy('restricted', 'latest', { exemptions: ex({ control: 'capabilities_restricted', field: 'capabilities.add', values: ['NET_RAW', 'KILL'] }, { control: 'capabilities_restricted', images: ['registry.example.com/**'] }) });
    const spec = pod({
      containers: [
        { name: 'a', image: 'nginx', securityContext: { capabilities: { drop: ['ALL'], add: ['SYS_ADMIN', 'NET_RAW', 'SYS_ADMIN', 'a"b\\c\n'] } } },
        { name: 'b', image: 'registry.example.com/app:v1', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } },
        { name: 'c', image: 'nginx', securityContext: { capabilities: { drop: ['ALL'], add: ['KILL'] } } },
      ],
    });
    expect(lines(policy, 'capabilities_restricted', spec)).toEqual([
      expect.stringContaining('capabilities_restricted: container "a" capabilities.add=SYS_ADMIN,a"b\\c\n is not allowed (exempted: NET_RAW) (allowed: NET_BIND_SERVICE or unset)'),
    ]);
    const bare = pssPolicy('restricted', 'latest');
    expect(lines(bare, 'capabilities_restricted', spec)[0]).toContain('container "a" securityContext.capabilities.add=["SYS_ADMIN","NET_RAW","a\\"b\\\\c\\n"] is not allowed');
  });
});

/**
 * Inputs shared by the per-family differential tests (require-resources.test.ts,
 * host-paths.test.ts): the reference bundle, its fixture workloads, the upstream Pod Security
 * fixture Pods, autogen expansion of a Pod rule, workloads of every kind around a pod template,
 * admission requests, and generated exemptions for one control.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { CONTROLLER_TARGETS, POD_TARGET, type Exemption, type Policy, type Rule, type Target } from '../../runtime/bundle';
import { readArchive } from '../conformance/archive';
import { expect } from 'vitest';
import type { CompiledPolicy } from '../../runtime/native';
import type { NativeRequest } from './cel-harness';
import { compileForTest } from './compile-input';

export const ROOT = path.resolve(__dirname, '../..');
export const TARGETS: Target[] = [POD_TARGET, ...Object.values(CONTROLLER_TARGETS)];
export const KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'];
export const NAMESPACES = ['apps', 'apps-b', 'team-x', 'ops'];

export function referenceBundle(): { policies: Policy[] } {
  return JSON.parse(readFileSync(path.join(ROOT, 'dist/portcullis-bundle.json'), 'utf8')) as { policies: Policy[] };
}

export function targetOf(kind: string): Target | undefined {
  return TARGETS.find((t) => t.kind === kind);
}

/** A CREATE (or, with `old`, UPDATE) request for a workload of a known kind. */
export function requestFor(object: Record<string, unknown>, namespace: string, namespaceLabels?: Record<string, string>, old?: Record<string, unknown>): NativeRequest | undefined {
  const t = targetOf(String(object.kind));
  if (t === undefined) return undefined;
  return {
    operation: old === undefined ? 'CREATE' : 'UPDATE',
    kind: { group: t.group, version: t.version, kind: t.kind },
    resource: { group: t.group, version: t.version, resource: t.resource },
    namespace,
    ...(namespaceLabels !== undefined ? { namespaceLabels } : {}),
    object,
    ...(old !== undefined ? { oldObject: old } : {}),
  };
}

/** Every workload in policies/fixtures (inline and files), with its namespace's labels. */
export function fixtureWorkloads(): NativeRequest[] {
  const dir = path.join(ROOT, 'policies/fixtures');
  const out: NativeRequest[] = [];
  for (const f of readdirSync(dir).filter((name) => /\.ya?ml$/.test(name))) {
    for (const doc of parseAllDocuments(readFileSync(path.join(dir, f), 'utf8'))) {
      const test = doc.toJS() as { resources?: unknown[] } | null;
      const entries = (test?.resources ?? []).flatMap((r) =>
        typeof r === 'string' ? parseAllDocuments(readFileSync(path.join(dir, r), 'utf8')).map((d) => d.toJS() as unknown) : [r],
      ) as Record<string, unknown>[];
      const labels = new Map<string, Record<string, string>>();
      for (const e of entries) {
        const meta = e.metadata as { name?: string; labels?: Record<string, string> } | undefined;
        if (e.kind === 'Namespace') labels.set(meta?.name ?? '', meta?.labels ?? {});
      }
      for (const e of entries) {
        const ns = (e.metadata as { namespace?: string } | undefined)?.namespace ?? 'default';
        const req = requestFor(e, ns, labels.get(ns) ?? {});
        if (req !== undefined) out.push(req);
      }
    }
  }
  return out;
}

/** Every Pod of the upstream Pod Security fixtures (test/conformance), as a CREATE in `namespace`. */
export function upstreamPods(namespace: string): NativeRequest[] {
  const files = readArchive(path.join(ROOT, 'test/conformance/pss-upstream/fixtures.ndjson.gz'));
  const out: NativeRequest[] = [];
  for (const [file, content] of files) {
    if (!file.endsWith('.yaml')) continue;
    for (const doc of parseAllDocuments(content)) {
      const object = doc.toJS() as Record<string, unknown> | null;
      if (object === null || object.kind !== 'Pod') continue;
      out.push(requestFor(object, namespace) as NativeRequest);
    }
  }
  return out;
}

/** A Pod rule and its autogen copies for the controller kinds among `kinds`. */
export function autogen(rule: Record<string, unknown> & { name: string; type: Rule['type'] }, kinds: readonly string[]): Rule[] {
  return kinds.map((k) => {
    const target = targetOf(k) as Target;
    return (k === 'Pod' ? { ...rule, target } : { ...rule, name: `autogen-${k.toLowerCase()}-${rule.name}`, autogenFrom: rule.name, target }) as unknown as Rule;
  });
}

/** A policy over `kinds` with the given rules and exemptions. */
export function policyOf(name: string, mode: Policy['mode'], kinds: readonly string[], rules: Rule[], exemptions: Exemption[], operations: ('CREATE' | 'UPDATE')[] = ['CREATE', 'UPDATE']): Policy {
  return {
    name,
    mode,
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    controllers: kinds.filter((k) => k !== 'Pod'),
    match: { kinds: [...kinds], operations },
    rules,
    exemptions,
  };
}

export interface Template {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec: unknown;
}

/** A workload of `kind` whose pod (template) is `t`; `own` labels the controller itself. */
export function workload(kind: string, own: Record<string, string> | undefined, t: Template): Record<string, unknown> {
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

/** Requests for a policy: a kind it matches, a namespace, own labels, CREATE or UPDATE (of a Pod: also `kubectl debug`). */
export function requestArb(policy: Policy, podSpec: fc.Arbitrary<unknown>): fc.Arbitrary<NativeRequest> {
  const template = fc.record({ labels: fc.option(fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db'), { maxKeys: 2 }), { nil: undefined }), spec: podSpec });
  return fc
    .record({
      kind: fc.constantFrom(...policy.match.kinds),
      namespace: fc.constantFrom(...NAMESPACES),
      own: fc.option(fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db'), { maxKeys: 2 }), { nil: undefined }),
      template,
      update: fc.option(fc.record({ old: template, sameSpec: fc.boolean(), ephemeral: fc.boolean() }), { nil: undefined }),
    })
    .map(({ kind, namespace, own, template: t, update }) => {
      const object = workload(kind, own, t);
      const old = update === undefined ? undefined : workload(kind, own, update.sameSpec ? { ...(update.old as Template), spec: (t as Template).spec } : (update.old));
      const req = requestFor(object, namespace, undefined, old) as NativeRequest;
      // kubectl debug: an UPDATE of pods/ephemeralcontainers, judged by the Pod rules.
      if (update?.ephemeral === true && kind === 'Pod') req.subResource = 'ephemeralcontainers';
      return req;
    });
}

/** Exemptions for `control` (named `ex`: rename them when a policy has several): namespaces, object selectors, control entries with fields and values. */
export function exemptionArb(control: string, fields: readonly string[], values: readonly string[]): fc.Arbitrary<Exemption> {
  const selector = fc.record({ matchLabels: fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db'), { minKeys: 1, maxKeys: 1 }) });
  return fc
    .record({
      namespaces: fc.option(fc.subarray(['apps', 'apps-*', 'team-?', 'ops', '*']), { nil: undefined }),
      objectSelector: fc.option(selector, { nil: undefined }),
      namespaceSelector: fc.option(selector, { nil: undefined }),
      controls: fc.array(
        fc.record({
          control: fc.constantFrom(control, 'other'),
          field: fc.option(fc.constantFrom(...fields), { nil: undefined }),
          values: fc.option(fc.subarray([...values]), { nil: undefined }),
        }),
        { maxLength: 2 },
      ),
    })
    .map((e) => {
      const out: Exemption = {
        name: 'ex',
        owner: 'o',
        reason: 'r',
        controls: e.controls.map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as Exemption['controls'][number]),
      };
      if (e.namespaces !== undefined) out.namespaces = e.namespaces;
      if (e.objectSelector !== undefined) out.objectSelector = e.objectSelector;
      if (e.namespaceSelector !== undefined) out.namespaceSelector = e.namespaceSelector;
      return out;
    });
}

/** Replace `from` by `to` in the expression of the policy variable whose name ends with `suffix`. */
export function alterVariable<T extends { objects?: { policy: Record<string, unknown> } }>(compiled: T, suffix: string, from: string, to: string): T {
  if (compiled.objects === undefined) throw new Error('nothing compiled');
  const objects = structuredClone(compiled.objects);
  const variables = (objects.policy as { spec: { variables: { name: string; expression: string }[] } }).spec.variables;
  const v = variables.find((x) => x.name.endsWith(suffix));
  if (v === undefined || !v.expression.includes(from)) throw new Error(`no variable ${suffix} containing ${from}`);
  v.expression = v.expression.split(from).join(to);
  return { ...compiled, objects };
}

/** One generated request with the policy compiled as generated and without its exemptions. */
export interface GeneratedCase {
  policy: Policy;
  compiled: CompiledPolicy;
  bare: Policy;
  bareCompiled: CompiledPolicy;
  req: NativeRequest;
}

/**
 * The per-family property: `numRuns` generated policies (each must compile its single rule) with up
 * to six requests each; `check` compares each request (with and without the exemptions).
 */
export function assertGeneratedRequests(policyArb: fc.Arbitrary<Policy>, podSpecArb: fc.Arbitrary<unknown>, numRuns: number, check: (c: GeneratedCase) => void): void {
  fc.assert(
    fc.property(
      policyArb.chain((p) => fc.tuple(fc.constant(p), fc.array(requestArb(p, podSpecArb), { minLength: 1, maxLength: 6 }))),
      ([policy, requests]) => {
        const compiled = compileForTest(policy);
        expect(compiled.results.map((r) => r.kind)).toEqual(['compiled']);
        const bare = { ...policy, exemptions: [] };
        const bareCompiled = compileForTest(bare);
        for (const req of requests) check({ policy, compiled, bare, bareCompiled, req });
      },
    ),
    { numRuns },
  );
}

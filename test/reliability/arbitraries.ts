/**
 * fast-check generators for the reliability suite (shared by the CI property tests and the longer
 * `npm run fuzz` campaign):
 *
 * - `forbiddenCase`: a workload (Pod, every controller, or the `pods/ephemeralcontainers`
 *   subresource) that carries exactly one feature an Enforce policy of `enforceBundle()` forbids
 *   (privileged, root, host namespaces, added capabilities, host ports, runtime socket, …) in a
 *   random position (containers, initContainers, ephemeralContainers, any index, pod level), mixed
 *   with noise the API server would pass through: unicode and control characters, unknown keys
 *   (`__proto__`, `constructor`, …), deep nesting, long lists, duplicate container names, numbers
 *   as strings in fields no rule reads. `expectField` is where the violation must be reported.
 * - `compliantCase`: the same workloads and noise without the forbidden feature (the property's
 *   control group: a denial must be caused by the feature, not by the noise).
 * - `mutatedReview`: a valid AdmissionReview damaged at random places (wrong types, missing
 *   fields, numbers as strings, prototype keys, huge values) — anything may come back except a
 *   crash, a hang or a malformed answer.
 */
import fc from 'fast-check';
import { CONTROLLER_TARGETS, type ControllerKind } from '../../runtime/bundle';
import type { AdmissionInput } from '../../runtime/engine/types';
import { workloadApiVersion, workloadResource } from '../helpers/admission';

export type ContainerList = 'containers' | 'initContainers' | 'ephemeralContainers';
export type Workload = 'Pod' | ControllerKind;
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

export interface GenOptions {
  /** Upper bound for list sizes (containers, env, noise arrays). */
  maxList: number;
  /** Upper bound for the nesting depth of noise values. */
  maxDepth: number;
}

export const CI_OPTIONS: GenOptions = { maxList: 6, maxDepth: 64 };
/**
 * Nesting stays below ~1,900 levels, where structuredClone (used to apply patches) overflows the
 * stack: deeper objects get an evaluation error, which the webhook's failurePolicy decides (see
 * DEEP_OPTIONS and docs/security.md). Pod fields are typed, so the API server never sends such depth.
 */
export const FUZZ_OPTIONS: GenOptions = { maxList: 40, maxDepth: 1_500 };
/** For damaged-review campaigns that only require a well-formed answer. */
export const DEEP_OPTIONS: GenOptions = { maxList: 10, maxDepth: 3_500 };

const WORKLOADS: readonly Workload[] = ['Pod', ...(Object.keys(CONTROLLER_TARGETS) as ControllerKind[])];

// ---- noise ---------------------------------------------------------------------------------

const CONTROL_CHARS = ['\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029', '\u202e', '\u200b', '\ufeff', '\ud83d\ude00', 'é', 'Ω', '中', '"', '\\', '{', '$', '%s', '${x}'];

/** Strings mixing full unicode, control characters and JSON/format metacharacters. */
export const nastyString = (maxLength = 24): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.constantFrom(...CONTROL_CHARS), maxLength }),
    fc.string({ unit: 'grapheme-ascii', maxLength }),
  );

/** Keys that trip naive object handling. */
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
export const nastyKey: fc.Arbitrary<string> = fc.oneof(fc.constantFrom(...PROTO_KEYS), nastyString(12), fc.constantFrom('x-noise', 'extra'));

/** An object with `key` as an OWN property (as JSON.parse makes for `"__proto__"`). */
export function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function nest(depth: number, leaf: Json, asArray: boolean): Json {
  let v: Json = leaf;
  for (let i = 0; i < depth; i += 1) v = asArray ? [v] : { n: v };
  return v;
}

const scalar: fc.Arbitrary<Json> = fc.oneof(
  nastyString(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.integer().map(String),
  fc.constantFrom('true', 'false', '0', '-1', '1e309', 'null'),
);

/** Random JSON: small objects with nasty keys, long arrays, deep nesting. */
export function noiseValue(o: GenOptions): fc.Arbitrary<Json> {
  const { tree } = fc.letrec<{ tree: Json }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('tree'), { maxLength: 4 }),
      fc.array(fc.tuple(nastyKey, tie('tree')), { maxLength: 4 }).map((entries) => {
        const out: JsonObject = {};
        for (const [k, v] of entries) defineOwn(out, k, v);
        return out;
      }),
    ),
  }));
  return fc.oneof(
    { weight: 6, arbitrary: tree },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: o.maxDepth }), scalar, fc.boolean()).map(([d, l, a]) => nest(d, l, a)) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: o.maxList * 50 }), scalar).map(([n, v]) => Array.from({ length: n }, () => v)) },
  );
}

/** Unknown fields sprinkled into an object (what a newer API version or a typo would add). */
function noiseFields(o: GenOptions): fc.Arbitrary<[string, Json][]> {
  return fc.array(fc.tuple(nastyKey, noiseValue(o)), { maxLength: 3 });
}

function addNoise(target: Record<string, unknown>, fields: [string, Json][]): void {
  for (const [k, v] of fields) {
    // Never overwrite a field a rule reads: noise must not change what the object means.
    if (Object.prototype.hasOwnProperty.call(target, k)) continue;
    defineOwn(target, `x-${k}`, v);
    if (PROTO_KEYS.includes(k)) defineOwn(target, k, v);
  }
}

// ---- compliant building blocks ------------------------------------------------------------

const IMAGES = [
  'registry.example.com/team/app:1.4.2',
  'nginx',
  'ghcr.io/org/tool@sha256:' + 'a'.repeat(64),
  'localhost:5000/x/y/z:latest',
  'docker.io/library/busybox:1.36',
];

const NAMES = ['app', 'sidecar', 'init', 'debugger', 'app'];

const envList = (o: GenOptions): fc.Arbitrary<Json[]> =>
  fc.array(fc.record({ name: fc.constantFrom('A', 'B', 'PATH', 'X_1'), value: nastyString(40) }), { maxLength: o.maxList * 4 });

export interface ContainerDraft {
  name: string;
  image: string;
  [k: string]: unknown;
}

/** A container the restricted profile admits, plus noise in fields no rule reads. */
export function compliantContainer(o: GenOptions): fc.Arbitrary<ContainerDraft> {
  return fc
    .record({
      name: fc.oneof(fc.constantFrom(...NAMES), nastyString(16).filter((s) => s.length > 0)),
      image: fc.oneof(fc.constantFrom(...IMAGES), nastyString(60)),
      env: envList(o),
      args: fc.array(nastyString(30), { maxLength: o.maxList }),
      terminationMessagePath: fc.constantFrom('/dev/termination-log'),
      noise: noiseFields(o),
      explicitNonRoot: fc.boolean(),
      runAsUser: fc.option(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { nil: undefined }),
    })
    .map((r) => {
      const sc: Record<string, unknown> = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
      if (r.explicitNonRoot) sc.runAsNonRoot = true;
      if (r.runAsUser !== undefined) sc.runAsUser = r.runAsUser;
      const c: ContainerDraft = { name: r.name, image: r.image, env: r.env, args: r.args, terminationMessagePath: r.terminationMessagePath, securityContext: sc };
      addNoise(c, r.noise);
      return c;
    });
}

// ---- the forbidden features ----------------------------------------------------------------

export interface Violation {
  /** Short name for reports. */
  name: string;
  /** `container`: applied to one container; `pod`: to the pod spec. */
  scope: 'container' | 'pod';
  apply(target: Record<string, unknown>): void;
  /** Field path relative to the container or the pod spec where the denial must point. */
  field: string;
}

function sc(target: Record<string, unknown>): Record<string, unknown> {
  const cur = target.securityContext;
  if (cur !== null && typeof cur === 'object' && !Array.isArray(cur)) return cur as Record<string, unknown>;
  const fresh: Record<string, unknown> = {};
  target.securityContext = fresh;
  return fresh;
}

export const VIOLATIONS: readonly Violation[] = [
  { name: 'privileged', scope: 'container', field: 'securityContext.privileged', apply: (c) => void (sc(c).privileged = true) },
  { name: 'container runAsUser 0', scope: 'container', field: 'securityContext.runAsUser', apply: (c) => void (sc(c).runAsUser = 0) },
  { name: 'container runAsNonRoot false', scope: 'container', field: 'securityContext.runAsNonRoot', apply: (c) => void (sc(c).runAsNonRoot = false) },
  { name: 'allowPrivilegeEscalation', scope: 'container', field: 'securityContext.allowPrivilegeEscalation', apply: (c) => void (sc(c).allowPrivilegeEscalation = true) },
  { name: 'capabilities.add SYS_ADMIN', scope: 'container', field: 'securityContext.capabilities', apply: (c) => void (sc(c).capabilities = { drop: ['ALL'], add: ['SYS_ADMIN'] }) },
  { name: 'hostPort', scope: 'container', field: 'ports', apply: (c) => void (c.ports = [{ containerPort: 22, hostPort: 22, protocol: 'TCP' }]) },
  { name: 'container seccomp Unconfined', scope: 'container', field: 'securityContext.seccompProfile', apply: (c) => void (sc(c).seccompProfile = { type: 'Unconfined' }) },
  { name: 'hostPID', scope: 'pod', field: 'hostPID', apply: (s) => void (s.hostPID = true) },
  { name: 'hostIPC', scope: 'pod', field: 'hostIPC', apply: (s) => void (s.hostIPC = true) },
  { name: 'hostNetwork', scope: 'pod', field: 'hostNetwork', apply: (s) => void (s.hostNetwork = true) },
  { name: 'pod runAsUser 0', scope: 'pod', field: 'securityContext.runAsUser', apply: (s) => void (sc(s).runAsUser = 0) },
  {
    name: 'docker socket hostPath',
    scope: 'pod',
    field: 'volumes',
    apply: (s) => void (s.volumes = [...((s.volumes as unknown[] | undefined) ?? []), { name: 'sock', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } }]),
  },
  { name: 'unsafe sysctl', scope: 'pod', field: 'securityContext.sysctls', apply: (s) => void (sc(s).sysctls = [{ name: 'kernel.msgmax', value: '65536' }]) },
];

// ---- workloads -----------------------------------------------------------------------------

export interface GeneratedCase {
  /** What was generated, for failure reports. */
  label: string;
  input: AdmissionInput;
  /** Dotted path where the denial must point (forbidden cases only). */
  expectField?: string;
}

interface Shape {
  workload: Workload;
  lists: Record<ContainerList, ContainerDraft[]>;
  podNoise: [string, Json][];
  metaNoise: [string, Json][];
  labels: [string, string][];
  annotations: [string, string][];
  stringNumbers: boolean;
  operation: 'CREATE' | 'UPDATE';
  ephemeralSubresource: boolean;
}

function shape(o: GenOptions): fc.Arbitrary<Shape> {
  const containers = (min: number): fc.Arbitrary<ContainerDraft[]> => fc.array(compliantContainer(o), { minLength: min, maxLength: o.maxList });
  return fc.record({
    workload: fc.constantFrom(...WORKLOADS),
    lists: fc.record({ containers: containers(1), initContainers: containers(0), ephemeralContainers: containers(0) }),
    podNoise: noiseFields(o),
    metaNoise: noiseFields(o),
    labels: fc.array(fc.tuple(fc.constantFrom('app', 'team', 'tier', 'x'), nastyString(20)), { maxLength: 4 }),
    annotations: fc.array(fc.tuple(fc.constantFrom('a.example.com/note', 'b', 'kubectl.kubernetes.io/last-applied-configuration'), nastyString(80)), { maxLength: 4 }),
    stringNumbers: fc.boolean(),
    operation: fc.constantFrom('CREATE' as const, 'UPDATE' as const),
    ephemeralSubresource: fc.boolean(),
  });
}

function entries(list: [string, string][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of list) defineOwn(out, k, v);
  return out;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The pod spec + metadata of a shape; `violate` mutates the chosen place. */
function podParts(s: Shape): { spec: Record<string, unknown>; metadata: Record<string, unknown> } {
  const spec: Record<string, unknown> = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    restartPolicy: s.workload === 'Job' || s.workload === 'CronJob' ? 'Never' : 'Always',
    terminationGracePeriodSeconds: s.stringNumbers ? '30' : 30,
    priority: s.stringNumbers ? '0' : 0,
    dnsPolicy: 'ClusterFirst',
  };
  for (const list of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
    if (s.lists[list].length > 0) spec[list] = s.lists[list].map((c) => ({ ...c }));
  }
  addNoise(spec, s.podNoise);
  const metadata: Record<string, unknown> = { labels: entries(s.labels), annotations: entries(s.annotations) };
  return { spec, metadata };
}

function wrapWorkload(s: Shape, spec: Record<string, unknown>, podMeta: Record<string, unknown>): Record<string, unknown> {
  const meta: Record<string, unknown> = { name: 'w-1', namespace: 'team-a', uid: '2c2a6a4e-0000-4000-8000-000000000001' };
  addNoise(meta, s.metaNoise);
  if (s.workload === 'Pod') return { apiVersion: 'v1', kind: 'Pod', metadata: { ...meta, ...podMeta }, spec };
  const template = { metadata: podMeta, spec };
  const apiVersion = workloadApiVersion(s.workload);
  const replicas = s.stringNumbers ? '3' : 3;
  if (s.workload === 'CronJob') {
    return { apiVersion, kind: 'CronJob', metadata: meta, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template } } } };
  }
  return { apiVersion, kind: s.workload, metadata: meta, spec: { replicas, selector: { matchLabels: { app: 'w' } }, template } };
}

function admissionInput(s: Shape, object: Record<string, unknown>, oldObject: Record<string, unknown> | undefined, sub: boolean): AdmissionInput {
  const g = workloadResource(s.workload);
  const input: AdmissionInput = {
    uid: '7f0c0e1a-5b1d-4c3e-9a55-000000000000',
    kind: { group: g.group, version: 'v1', kind: s.workload },
    resource: { group: g.group, version: 'v1', resource: g.resource },
    operation: s.operation,
    namespace: 'team-a',
    name: 'w-1',
    object,
  };
  if (sub) input.subResource = 'ephemeralcontainers';
  if (oldObject !== undefined) input.oldObject = oldObject;
  return input;
}

function specPrefix(workload: Workload): string {
  if (workload === 'Pod') return 'spec';
  if (workload === 'CronJob') return 'spec.jobTemplate.spec.template.spec';
  return 'spec.template.spec';
}

function describeShape(s: Shape, extra: string): string {
  const counts = (['containers', 'initContainers', 'ephemeralContainers'] as const).map((l) => `${l}=${s.lists[l].length}`).join(' ');
  return `${s.operation} ${s.workload}${s.ephemeralSubresource && s.workload === 'Pod' ? '/ephemeralcontainers' : ''} ${counts} ${extra}`;
}

/** A workload with one forbidden feature somewhere, mixed with noise. */
export function forbiddenCase(o: GenOptions): fc.Arbitrary<GeneratedCase> {
  return fc
    .tuple(shape(o), fc.constantFrom(...VIOLATIONS), fc.constantFrom<ContainerList>('containers', 'initContainers', 'ephemeralContainers'), fc.nat())
    .map(([s, violation, wantedList, pick]) => {
      const { spec, metadata } = podParts(s);
      const before = { spec: clone(spec), metadata: clone(metadata) };
      let expectField: string;
      if (violation.scope === 'container') {
        const list = (spec[wantedList] as Record<string, unknown>[] | undefined) ?? (spec.containers as Record<string, unknown>[]);
        const listName = spec[wantedList] === undefined ? 'containers' : wantedList;
        const index = pick % list.length;
        violation.apply(list[index]);
        expectField = `${specPrefix(s.workload)}.${listName}[${index}].${violation.field}`;
      } else {
        violation.apply(spec);
        expectField = `${specPrefix(s.workload)}.${violation.field}`;
      }
      const object = wrapWorkload(s, spec, metadata);
      // UPDATE: the old object did not have the feature (an UPDATE that keeps it unchanged is
      // relieved, as Pod Security admission does). The ephemeralcontainers subresource is an
      // UPDATE of a Pod that adds containers.
      const sub = s.ephemeralSubresource && s.workload === 'Pod';
      const old = s.operation === 'UPDATE' || sub ? wrapWorkload(s, before.spec, before.metadata) : undefined;
      const input = admissionInput(sub ? { ...s, operation: 'UPDATE' } : s, object, old, sub);
      return { label: describeShape(s, `violation="${violation.name}" at ${expectField}`), input, expectField };
    });
}

/** The same workloads and noise, with nothing forbidden. */
export function compliantCase(o: GenOptions): fc.Arbitrary<GeneratedCase> {
  return shape(o).map((s) => {
    const { spec, metadata } = podParts(s);
    const object = wrapWorkload(s, spec, metadata);
    return { label: describeShape(s, 'compliant'), input: admissionInput(s, object, s.operation === 'UPDATE' ? clone(object) : undefined, false) };
  });
}

// ---- damaged reviews -----------------------------------------------------------------------

export interface ReviewEnvelope {
  apiVersion: string;
  kind: string;
  request: Record<string, unknown>;
}

/** The wire form of an AdmissionInput (what the API server POSTs). */
export function toReview(input: AdmissionInput): ReviewEnvelope {
  const request: Record<string, unknown> = {
    uid: input.uid,
    kind: input.kind,
    resource: input.resource,
    requestKind: input.kind,
    requestResource: input.resource,
    name: input.name,
    namespace: input.namespace,
    operation: input.operation,
    userInfo: { username: 'dev@example.com', groups: ['system:authenticated'] },
    object: input.object,
    oldObject: input.oldObject ?? null,
    dryRun: false,
    options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
  };
  if (input.subResource !== undefined) request.subResource = input.subResource;
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}

type Mutation = (value: unknown) => unknown;

const replacement = (o: GenOptions): fc.Arbitrary<Mutation> =>
  fc.oneof(
    noiseValue(o).map((v): Mutation => () => v),
    fc.constant<Mutation>(() => undefined), // delete
    fc.constant<Mutation>((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v)), // numbers as strings
    fc.constant<Mutation>((v) => [v]), // wrapped in a list
    fc.constant<Mutation>((v) => ({ value: v })),
    fc.constant<Mutation>((v) => (typeof v === 'string' ? v.repeat(50) : v)),
    fc.constant<Mutation>((v) => (Array.isArray(v) ? [...v, ...v, ...v] : v)), // duplicates (containers!)
    fc.constant<Mutation>((v) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      const copy = { ...(v as Record<string, unknown>) };
      defineOwn(copy, '__proto__', { privileged: false, allowed: true, polluted: true });
      defineOwn(copy, 'constructor', { prototype: { polluted: true } });
      return copy;
    }),
  );

/** Every path (list of keys) of a JSON value, breadth-limited. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = [], limit = 400): (string | number)[][] {
  if (out.length >= limit) return out;
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out, limit));
  else if (value !== null && typeof value === 'object') for (const k of Object.keys(value)) paths((value as Record<string, unknown>)[k], [...prefix, k], out, limit);
  return out;
}

function setPath(root: unknown, path: (string | number)[], mutate: Mutation): unknown {
  if (path.length === 0) return mutate(root);
  const [head, ...rest] = path;
  if (Array.isArray(root)) {
    const copy = [...root];
    const next = setPath(copy[head as number], rest, mutate);
    if (next === undefined) copy.splice(head as number, 1);
    else copy[head as number] = next;
    return copy;
  }
  const copy = { ...(root as Record<string, unknown>) };
  const next = setPath(copy[head as string], rest, mutate);
  if (next === undefined) delete copy[head as string];
  else defineOwn(copy, head as string, next);
  return copy;
}

/** A review (from a forbidden or compliant case) damaged at 1–4 random places. */
export function mutatedReview(o: GenOptions): fc.Arbitrary<{ label: string; review: unknown }> {
  return fc
    .tuple(fc.oneof(forbiddenCase(o), compliantCase(o)), fc.array(fc.tuple(fc.nat(), replacement(o)), { minLength: 1, maxLength: 4 }))
    .map(([c, edits]) => {
      let review: unknown = toReview(c.input);
      const touched: string[] = [];
      for (const [pick, mutate] of edits) {
        const all = paths(review);
        const path = all[pick % all.length];
        touched.push(path.join('.') || '<root>');
        review = setPath(review, path, mutate);
      }
      return { label: `${c.label}; damaged at ${touched.join(', ')}`, review };
    });
}

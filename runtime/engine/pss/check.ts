/**
 * The shape of one Pod Security check, after the upstream k8s.io/pod-security-admission `policy/`
 * registry: an ID (the PSS control name), a level, the baseline checks it replaces when the
 * restricted level is in force, and its revisions by the minimum policy version (v1.N minor) from
 * which each applies. Checks read only the pod spec and the pod metadata; each returns Findings.
 */
import type { PssControl } from '../../bundle';
import { isRecord } from '../pod-view';
import type { ContainerRef, Finding, PodView } from '../types';

export type PssLevel = 'baseline' | 'restricted';

export type CheckFn = (pod: PodView) => Finding[];

export interface CheckRevision {
  /** Minor version N of policy version v1.N from which this revision applies. */
  minVersion: number;
  check: CheckFn;
}

export interface PssCheck {
  id: PssControl;
  level: PssLevel;
  /** Baseline check IDs this restricted check replaces at the restricted level. */
  overrides?: readonly PssControl[];
  /** Ascending by minVersion. */
  revisions: readonly CheckRevision[];
}

// ---- small readers over the unstructured pod ---------------------------------------------------

export function rec(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}

/** The pod-level securityContext, if any. */
export function podSecurityContext(pod: PodView): Record<string, unknown> | undefined {
  return rec(pod.spec.securityContext);
}

export function containerSecurityContext(c: ContainerRef): Record<string, unknown> | undefined {
  return rec(c.container.securityContext);
}

/** `spec.os.name == "windows"`: the Windows relaxations of policy v1.25+. */
export function isWindowsPod(pod: PodView): boolean {
  return rec(pod.spec.os)?.name === 'windows';
}

/** `spec.hostUsers: false` (a user-namespaced pod): the relaxations of policy v1.35+. */
export function isUserNamespacePod(pod: PodView): boolean {
  return pod.spec.hostUsers === false;
}

export function podField(pod: PodView, rest: string): string {
  return pod.specField === '' ? rest : `${pod.specField}.${rest}`;
}

export function annotationField(pod: PodView, key: string): string {
  const base = pod.metadataField === '' ? 'metadata' : pod.metadataField;
  return `${base}.annotations["${key}"]`;
}

export function show(v: unknown): string {
  if (v === undefined) return '<unset>';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function containerLabel(c: ContainerRef): string {
  const kind = c.kind === 'containers' ? 'container' : c.kind === 'initContainers' ? 'init container' : 'ephemeral container';
  return `${kind} "${c.name}"`;
}

/** A container-level finding: `container "app" securityContext.privileged=true is not allowed`. */
export function containerFinding(
  control: PssControl,
  c: ContainerRef,
  relative: string,
  value: unknown,
  allowed: string,
  extra: Partial<Finding> = {},
): Finding {
  return {
    control,
    container: c,
    field: `${c.field}.${relative}`,
    allowed,
    message: `${containerLabel(c)} ${relative}=${show(value)} is not allowed`,
    ...extra,
  };
}

/** A pod-level finding: `pod spec.hostNetwork=true is not allowed`. */
export function podFinding(
  control: PssControl,
  pod: PodView,
  relative: string,
  value: unknown,
  allowed: string,
  extra: Partial<Finding> = {},
): Finding {
  const field = podField(pod, relative);
  return { control, field, allowed, message: `pod ${field}=${show(value)} is not allowed`, ...extra };
}

/**
 * A finding on `securityContext.<profile>.type` (seccompProfile, appArmorProfile) of container `c`,
 * or of the pod when `c` is undefined; exemptField `<profile>.type`, values = [the type].
 */
export function profileTypeFinding(
  control: PssControl,
  pod: PodView,
  c: ContainerRef | undefined,
  profile: 'seccompProfile' | 'appArmorProfile',
  type: unknown,
  allowed: string,
): Finding {
  const relative = `securityContext.${profile}.type`;
  const extra = { exemptField: `${profile}.type`, values: [show(type)] };
  return c === undefined ? podFinding(control, pod, relative, type, allowed, extra) : containerFinding(control, c, relative, type, allowed, extra);
}

export function findContainer(pod: PodView, name: string): ContainerRef | undefined {
  return pod.containers.find((c) => c.name === name);
}

/** The object entries of an unstructured list (`spec.volumes`, `ports`) with their indexes; other entries are skipped. */
export function indexedRecords(v: unknown): ReadonlyArray<readonly [Record<string, unknown>, number]> {
  // Most lists checked are absent or empty (ports, volumes): no array is built for those.
  if (!Array.isArray(v) || v.length === 0) return NO_RECORDS;
  const out: Array<readonly [Record<string, unknown>, number]> = [];
  for (let i = 0; i < v.length; i += 1) {
    const x: unknown = v[i];
    if (isRecord(x)) out.push([x, i]);
  }
  return out;
}

const NO_RECORDS: ReadonlyArray<readonly [Record<string, unknown>, number]> = Object.freeze([]);
const NO_STRINGS: readonly string[] = Object.freeze([]);

export function stringList(v: unknown): readonly string[] {
  if (!Array.isArray(v) || v.length === 0) return NO_STRINGS;
  return v.filter((x): x is string => typeof x === 'string');
}

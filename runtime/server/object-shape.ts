/**
 * Shape checks on the admitted object before it reaches the engine: the API server only ever sends
 * well-formed objects, so anything else is a malformed request (400), not something to evaluate or
 * silently allow. Checks what the rule families read — the pod spec of Pods and of the controllers
 * whose pod template Portcullis evaluates — and nothing the engine does not depend on.
 */
import { CONTROLLER_TARGETS, POD_TARGET, type Target } from '../bundle';
import { getPointer, isRecord, pointerToField } from '../engine/pod-view';
import type { AdmissionRequest } from './admission-review';

/** group → kind → Target (two lookups, no key string built per request). */
const TARGETS_BY_GROUP_KIND = new Map<string, Map<string, Target>>();
for (const t of [POD_TARGET, ...Object.values(CONTROLLER_TARGETS)]) {
  const kinds = TARGETS_BY_GROUP_KIND.get(t.group) ?? new Map<string, Target>();
  kinds.set(t.kind, t);
  TARGETS_BY_GROUP_KIND.set(t.group, kinds);
}

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;
const BOOLEAN_FIELDS = ['hostNetwork', 'hostPID', 'hostIPC', 'hostUsers', 'automountServiceAccountToken'] as const;
const OBJECT_FIELDS = ['securityContext', 'resources'] as const;
const STRING_MAPS = ['labels', 'annotations'] as const;

/** The pod-template location for a request's kind, when Portcullis evaluates that kind. */
export function targetForKind(group: string, kind: string): Target | undefined {
  return TARGETS_BY_GROUP_KIND.get(group)?.get(kind);
}

/**
 * Returns why `object` is malformed for `request`, or undefined when it is fine. `target` is the
 * request kind's pod-template location (the caller may have looked it up already).
 */
export function objectShapeProblem(
  request: AdmissionRequest,
  object: unknown,
  which = 'object',
  target: Target | undefined = targetForKind(request.kind.group, request.kind.kind),
): string | undefined {
  if (!isRecord(object)) return `request.${which} must be a JSON object`;
  const declaredKind = object.kind;
  if (declaredKind !== undefined && declaredKind !== request.kind.kind) {
    return `request.${which}.kind is ${JSON.stringify(declaredKind)} but request.kind.kind is "${request.kind.kind}"`;
  }
  const metadata = object.metadata;
  if (metadata !== undefined && !isRecord(metadata)) return `request.${which}.metadata must be an object`;
  if (target === undefined) return undefined;
  return podProblem(object, target, which);
}

function allStrings(map: Record<string, unknown>): boolean {
  for (const key in map) if (Object.prototype.hasOwnProperty.call(map, key) && typeof map[key] !== 'string') return false;
  return true;
}

/** What is wrong with one container entry (the text after its field path), or undefined. */
function containerProblem(c: unknown): string | undefined {
  if (!isRecord(c)) return ' must be an object';
  if (typeof c.name !== 'string' || c.name === '') return '.name must be a non-empty string';
  if (c.image !== undefined && typeof c.image !== 'string') return '.image must be a string';
  for (const field of OBJECT_FIELDS) {
    const v = c[field];
    if (v !== undefined && v !== null && !isRecord(v)) return `.${field} must be an object`;
  }
  return undefined;
}

/** `request.object.spec.template.spec.volumes`: where a problem is, for its message. */
function fieldAt(which: string, pointer: string, suffix = ''): string {
  return `request.${which}.${pointerToField(pointer)}${suffix}`;
}

function podProblem(object: Record<string, unknown>, target: Target, which: string): string | undefined {
  const spec = getPointer(object, target.podSpecPath);
  if (!isRecord(spec)) return `${fieldAt(which, target.podSpecPath)} must be an object (the ${target.kind} pod spec)`;
  const meta = getPointer(object, target.podMetadataPath);
  if (meta !== undefined && !isRecord(meta)) return `${fieldAt(which, target.podMetadataPath)} must be an object`;
  if (isRecord(meta)) {
    for (const key of STRING_MAPS) {
      const map = meta[key];
      if (map === undefined || map === null) continue;
      if (!isRecord(map) || !allStrings(map)) {
        return `${fieldAt(which, target.podMetadataPath, `.${key}`)} must map strings to strings`;
      }
    }
  }
  for (const field of BOOLEAN_FIELDS) {
    const v = spec[field];
    if (v !== undefined && v !== null && typeof v !== 'boolean') return `${fieldAt(which, target.podSpecPath, `.${field}`)} must be a boolean`;
  }
  const podSc = spec.securityContext;
  if (podSc !== undefined && podSc !== null && !isRecord(podSc)) return `${fieldAt(which, target.podSpecPath, '.securityContext')} must be an object`;
  const volumes = spec.volumes;
  if (volumes !== undefined && volumes !== null && (!Array.isArray(volumes) || !volumes.every(isRecord))) {
    return `${fieldAt(which, target.podSpecPath, '.volumes')} must be a list of objects`;
  }
  for (const list of CONTAINER_LISTS) {
    const containers = spec[list];
    if (containers === undefined || containers === null) continue;
    if (!Array.isArray(containers)) return `${fieldAt(which, target.podSpecPath, `.${list}`)} must be a list`;
    for (let i = 0; i < containers.length; i += 1) {
      const problem = containerProblem(containers[i]);
      if (problem !== undefined) return `${fieldAt(which, target.podSpecPath, `.${list}[${i}]`)}${problem}`;
    }
  }
  return undefined;
}

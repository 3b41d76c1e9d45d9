/**
 * AdmissionInput builders shared by the engine and reliability tests. Group and resource of every
 * workload kind come from the runtime's own target table (runtime/bundle/targets.ts).
 */
import { CONTROLLER_TARGETS, POD_TARGET } from '../../runtime/bundle';
import type { AdmissionInput } from '../../runtime/engine/types';

const WORKLOAD_TARGETS: Record<string, { group: string; resource: string }> = { Pod: POD_TARGET, ...CONTROLLER_TARGETS };

/** Group and resource of a Pod or controller kind (another kind: the core group, `<kind>s`). */
export function workloadResource(kind: string): { group: string; resource: string } {
  return WORKLOAD_TARGETS[kind] ?? { group: '', resource: `${kind.toLowerCase()}s` };
}

/** The apiVersion of a Pod or controller kind: `<group>/v1`, or `v1` in the core group. */
export function workloadApiVersion(kind: string): string {
  const { group } = workloadResource(kind);
  return group === '' ? 'v1' : `${group}/v1`;
}

/** A CREATE of `object` (name and namespace from its metadata, else `x` in `apps`; uid `u1`), then `over`. */
export function admission(object: Record<string, unknown>, over: Partial<AdmissionInput> = {}): AdmissionInput {
  const kind = String(object.kind);
  const g = workloadResource(kind);
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  return {
    uid: 'u1',
    kind: { group: g.group, version: 'v1', kind },
    resource: { group: g.group, version: 'v1', resource: g.resource },
    operation: 'CREATE',
    namespace: meta.namespace ?? 'apps',
    name: meta.name ?? 'x',
    object,
    ...over,
  };
}

/**
 * Identifying admitted objects for reports: a resource reference (as PolicyReports list them) and
 * the controller that owns an object. Pure.
 */
import { isRecord } from '../engine/pod-view';

export interface ResourceRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface OwnerRef {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function resourceRef(object: unknown): ResourceRef | undefined {
  if (!isRecord(object) || !isRecord(object.metadata)) return undefined;
  const apiVersion = str(object.apiVersion);
  const kind = str(object.kind);
  const name = str(object.metadata.name) ?? str(object.metadata.generateName);
  if (apiVersion === undefined || kind === undefined || name === undefined) return undefined;
  const ref: ResourceRef = { apiVersion, kind, name };
  const namespace = str(object.metadata.namespace);
  if (namespace !== undefined) ref.namespace = namespace;
  const uid = str(object.metadata.uid);
  if (uid !== undefined) ref.uid = uid;
  return ref;
}

/** The managing controller (`ownerReferences[].controller: true`), if any. */
export function controllerOwner(object: unknown): OwnerRef | undefined {
  if (!isRecord(object) || !isRecord(object.metadata) || !Array.isArray(object.metadata.ownerReferences)) return undefined;
  for (const o of object.metadata.ownerReferences) {
    if (!isRecord(o) || o.controller !== true) continue;
    const kind = str(o.kind);
    const name = str(o.name);
    if (kind === undefined || name === undefined) continue;
    const owner: OwnerRef = { kind, name };
    const apiVersion = str(o.apiVersion);
    if (apiVersion !== undefined) owner.apiVersion = apiVersion;
    const uid = str(o.uid);
    if (uid !== undefined) owner.uid = uid;
    return owner;
  }
  return undefined;
}

/** The `pod-template-hash` label a Deployment's ReplicaSets stamp on their pods. */
export function podTemplateHash(object: unknown): string | undefined {
  if (!isRecord(object) || !isRecord(object.metadata) || !isRecord(object.metadata.labels)) return undefined;
  return str(object.metadata.labels['pod-template-hash']);
}

export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

/** `Deployment payments/web`, `ClusterRole admin`. */
export function refText(ref: ResourceRef): string {
  return ref.namespace === undefined ? `${ref.kind} ${ref.name}` : `${ref.kind} ${ref.namespace}/${ref.name}`;
}

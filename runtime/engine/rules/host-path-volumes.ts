/** The pod's hostPath volumes, with their normalized paths. Shared by hostPaths and denyRuntimeSocket. Pure. */
import { normalizeHostPath } from '../host-path';
import { ownArray, ownField, ownRecord } from '../own-fields';
import { isRecord } from '../pod-view';
import type { PodView } from '../types';

export interface HostPathVolume {
  index: number;
  name: string;
  /** As written. */
  path: string;
  /** Normalized (`..`, `.`, duplicate/trailing slashes resolved); undefined when not an absolute path. */
  normalized: string | undefined;
  /** Dotted field of `hostPath.path`, e.g. `spec.volumes[2].hostPath.path`. */
  field: string;
}

export function hostPathVolumes(pod: PodView): HostPathVolume[] {
  const out: HostPathVolume[] = [];
  ownArray(pod.spec, 'volumes').forEach((v, index) => {
    if (!isRecord(v)) return;
    const hostPath = ownRecord(v, 'hostPath');
    if (hostPath === undefined) return;
    const raw = ownField(hostPath, 'path');
    const path = typeof raw === 'string' ? raw : '';
    const name = ownField(v, 'name');
    out.push({
      index,
      name: typeof name === 'string' ? name : '',
      path,
      normalized: normalizeHostPath(path),
      field: `${pod.specField}.volumes[${index}].hostPath.path`,
    });
  });
  return out;
}

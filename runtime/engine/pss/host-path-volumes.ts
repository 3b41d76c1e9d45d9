/**
 * hostPathVolumes (baseline, v1.0+). HostPath volumes must be forbidden. Replaced by
 * restrictedVolumes at the restricted level.
 *
 * Restricted fields:
 *   spec.volumes[*].hostPath
 * Allowed values: undefined/null
 */
import { podField, rec, show, type PssCheck } from './check';
import type { Finding } from '../types';

export const hostPathVolumes: PssCheck = {
  id: 'hostPathVolumes',
  level: 'baseline',
  revisions: [
    {
      minVersion: 0,
      check: (pod) => {
        const out: Finding[] = [];
        const volumes = Array.isArray(pod.spec.volumes) ? pod.spec.volumes : [];
        volumes.forEach((v: unknown, i) => {
          const vol = rec(v);
          if (vol === undefined || vol.hostPath === undefined || vol.hostPath === null) return;
          const field = podField(pod, `volumes[${i}].hostPath`);
          const name = show(vol.name);
          out.push({
            control: 'hostPathVolumes',
            field,
            exemptField: 'volumes',
            values: [name],
            allowed: 'no hostPath volumes',
            message: `pod volume "${name}" ${field}=${show(rec(vol.hostPath)?.path)} is not allowed`,
          });
        });
        return out;
      },
    },
  ],
};

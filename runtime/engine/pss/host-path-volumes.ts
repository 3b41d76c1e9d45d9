/**
 * hostPathVolumes (baseline, v1.0+). HostPath volumes must be forbidden. Replaced by
 * restrictedVolumes at the restricted level.
 *
 * Restricted fields:
 *   spec.volumes[*].hostPath
 * Allowed values: undefined/null
 * Exemptions may name field `hostPath.path` with the exact paths they allow.
 */
import { indexedRecords, podField, rec, show, type PssCheck } from './check';
import type { Finding } from '../types';

export const hostPathVolumes: PssCheck = {
  id: 'hostPathVolumes',
  level: 'baseline',
  revisions: [
    {
      minVersion: 0,
      check: (pod) => {
        const out: Finding[] = [];
        for (const [vol, i] of indexedRecords(pod.spec.volumes)) {
          if (vol.hostPath === undefined || vol.hostPath === null) continue;
          const field = podField(pod, `volumes[${i}].hostPath`);
          const hostPath = show(rec(vol.hostPath)?.path);
          out.push({
            control: 'hostPathVolumes',
            field,
            exemptField: 'hostPath.path',
            values: [hostPath],
            allowed: 'no hostPath volumes',
            message: `pod volume "${show(vol.name)}" ${field}.path=${hostPath} is not allowed`,
          });
        }
        return out;
      },
    },
  ],
};

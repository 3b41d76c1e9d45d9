/**
 * hostNamespaces (baseline, v1.0+). Sharing the host namespaces must be disallowed.
 *
 * Restricted fields:
 *   spec.hostNetwork
 *   spec.hostPID
 *   spec.hostIPC
 * Allowed values: undefined/null, false
 */
import { podFinding, type PssCheck } from './check';
import type { Finding } from '../types';

const FIELDS = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

export const hostNamespaces: PssCheck = {
  id: 'hostNamespaces',
  level: 'baseline',
  revisions: [
    {
      minVersion: 0,
      check: (pod) => {
        const out: Finding[] = [];
        for (const f of FIELDS) {
          if (pod.spec[f] === true) {
            out.push(podFinding('hostNamespaces', pod, f, true, 'false or unset', { exemptField: f, values: ['true'] }));
          }
        }
        return out;
      },
    },
  ],
};

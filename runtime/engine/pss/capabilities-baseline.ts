/**
 * capabilities_baseline (baseline, v1.0+). Adding capabilities beyond the default set must be
 * disallowed. Replaced by capabilities_restricted at the restricted level.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.add
 * Allowed values: undefined/empty, or a subset of AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID,
 *   KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT (exact, case-sensitive)
 */
import { containerFinding, containerSecurityContext, rec, stringList, type PssCheck } from './check';
import type { Finding } from '../types';

export const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

export const capabilitiesBaseline: PssCheck = {
  id: 'capabilities_baseline',
  level: 'baseline',
  revisions: [
    {
      minVersion: 0,
      check: (pod) => {
        const out: Finding[] = [];
        for (const c of pod.containers) {
          const add = stringList(rec(containerSecurityContext(c)?.capabilities)?.add);
          const bad = [...new Set(add.filter((cap) => !BASELINE_CAPABILITIES.has(cap)))];
          if (bad.length > 0) {
            out.push(
              containerFinding('capabilities_baseline', c, 'securityContext.capabilities.add', bad, [...BASELINE_CAPABILITIES].join(', '), {
                exemptField: 'capabilities.add',
                values: bad,
              }),
            );
          }
        }
        return out;
      },
    },
  ],
};

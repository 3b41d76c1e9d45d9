/**
 * procMount_restricted (restricted, v1.35+). Re-tightens procMount for user-namespaced pods: at
 * the restricted level only the default /proc mount is allowed, whatever spec.hostUsers says.
 * Overrides procMount.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount
 * Allowed values: undefined/null, "Default"
 */
import type { PssCheck } from './check';
import { defaultProcMountOnly } from './proc-mount';

export const procMountRestricted: PssCheck = {
  id: 'procMount_restricted',
  level: 'restricted',
  overrides: ['procMount'],
  revisions: [{ minVersion: 35, check: defaultProcMountOnly('procMount_restricted') }],
};

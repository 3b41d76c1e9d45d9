/**
 * procMount_restricted (restricted, v1.35+) in CEL: runtime/engine/pss/proc-mount-restricted.ts.
 * Re-tightens procMount for user-namespaced pods. Overrides procMount.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount
 * Allowed values: undefined/null, "Default"
 * Findings: as procMount v1.0 (proc-mount.ts), whatever spec.hostUsers says.
 */
import type { NativeControl } from './control';
import { defaultProcMountOnly } from './proc-mount';

export const procMountRestricted: NativeControl = {
  id: 'procMount_restricted',
  revisions: [{ minVersion: 35, compile: defaultProcMountOnly }],
};

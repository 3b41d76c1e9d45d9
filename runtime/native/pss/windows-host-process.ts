/**
 * windowsHostProcess (baseline, v1.0+) in CEL: runtime/engine/pss/windows-host-process.ts.
 *
 * Restricted fields:
 *   spec.securityContext.windowsOptions.hostProcess
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.windowsOptions.hostProcess
 * Allowed values: undefined/null, false
 * Findings: the pod's, then each container's (value `true`; no exempt field, no values).
 */
import type { NativeControl } from './control';
import { concat, containerLines, containerMessage, findingLines, podMessage, slot } from './findings';

const RELATIVE = 'securityContext.windowsOptions.hostProcess';
const ALLOWED = 'false or unset';

export const windowsHostProcess: NativeControl = {
  id: 'windowsHostProcess',
  revisions: [
    {
      minVersion: 0,
      compile: (ctx) => {
        const pod = findingLines(ctx, { level: 'pod', relative: RELATIVE, values: { kind: 'none' }, allowed: ALLOWED, message: podMessage(RELATIVE, '"true"') });
        if (typeof pod !== 'string') return pod;
        const container = findingLines(ctx, { level: 'container', relative: RELATIVE, values: { kind: 'none' }, allowed: ALLOWED, message: containerMessage(RELATIVE, '"true"') });
        if (typeof container !== 'string') return container;
        return concat([
          slot('variables.spec.?securityContext.?windowsOptions.?hostProcess.orValue(false) == true', pod),
          containerLines([slot('c.?securityContext.?windowsOptions.?hostProcess.orValue(false) == true', container)]),
        ]);
      },
    },
  ],
};

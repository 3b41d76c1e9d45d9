/**
 * privileged (baseline, v1.0+) in CEL: runtime/engine/pss/privileged.ts.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.privileged
 * Allowed values: undefined/null, false
 * Findings: one per container with `true` (no exempt field, no values).
 */
import type { NativeControl } from './control';
import { containerLines, containerMessage, findingLines, slot } from './findings';

const RELATIVE = 'securityContext.privileged';

export const privileged: NativeControl = {
  id: 'privileged',
  revisions: [
    {
      minVersion: 0,
      compile: (ctx) => {
        const lines = findingLines(ctx, { level: 'container', relative: RELATIVE, values: { kind: 'none' }, allowed: 'false or unset', message: containerMessage(RELATIVE, '"true"') });
        if (typeof lines !== 'string') return lines;
        return containerLines([slot('c.?securityContext.?privileged.orValue(false) == true', lines)]);
      },
    },
  ],
};

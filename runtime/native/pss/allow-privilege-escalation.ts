/**
 * allowPrivilegeEscalation (restricted, v1.8+; v1.25 exempts Windows pods) in CEL:
 * runtime/engine/pss/allow-privilege-escalation.ts.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.allowPrivilegeEscalation
 * Allowed values: false (it must be set explicitly)
 * Findings: one per container not setting false (value `true` or `<unset>`; exempt field
 * `allowPrivilegeEscalation`, no values). From v1.25 pods with spec.os.name == "windows" are not checked.
 */
import type { ControlCompile, NativeControl } from './control';
import { containerLines, containerMessage, findingLines, slot, unlessWindows } from './findings';

const RELATIVE = 'securityContext.allowPrivilegeEscalation';
const VALUE = 'c.?securityContext.?allowPrivilegeEscalation';

const v1_8: ControlCompile = (ctx) => {
  const lines = findingLines(ctx, {
    level: 'container',
    relative: RELATIVE,
    exemptField: 'allowPrivilegeEscalation',
    values: { kind: 'none' },
    allowed: 'false',
    message: containerMessage(RELATIVE, `(${VALUE}.hasValue() ? "true" : "<unset>")`),
  });
  if (typeof lines !== 'string') return lines;
  return containerLines([slot(`${VALUE}.orValue(true) != false`, lines)]);
};

export const allowPrivilegeEscalation: NativeControl = {
  id: 'allowPrivilegeEscalation',
  revisions: [
    { minVersion: 8, compile: v1_8 },
    { minVersion: 25, compile: unlessWindows(v1_8) },
  ],
};

/**
 * procMount (baseline, v1.0+; v1.35 relaxes it for user-namespaced pods) in CEL:
 * runtime/engine/pss/proc-mount.ts. Replaced by procMount_restricted at the restricted level from v1.35.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.procMount
 * Allowed values: undefined/null, "Default"; from v1.35 any value when spec.hostUsers is false
 * Findings: one per container with another value (a string in the API schema, shown as it is;
 * exempt field `procMount`, values [the value]).
 */
import type { ControlCompile, NativeControl } from './control';
import { containerLines, containerMessage, findingLines, slot, unlessUserNamespace } from './findings';

const RELATIVE = 'securityContext.procMount';

/** The v1.0 rule, shared with procMount_restricted (the lines name the control being compiled, ctx.control). */
export const defaultProcMountOnly: ControlCompile = (ctx) => {
  const value = 'c.securityContext.procMount';
  const lines = findingLines(ctx, { level: 'container', relative: RELATIVE, exemptField: 'procMount', values: { kind: 'one', cel: value }, allowed: 'Default or unset', message: containerMessage(RELATIVE, value) });
  if (typeof lines !== 'string') return lines;
  return containerLines([slot('c.?securityContext.?procMount.orValue("Default") != "Default"', lines)]);
};

export const procMount: NativeControl = {
  id: 'procMount',
  revisions: [
    { minVersion: 0, compile: defaultProcMountOnly },
    { minVersion: 35, compile: unlessUserNamespace(defaultProcMountOnly) },
  ],
};

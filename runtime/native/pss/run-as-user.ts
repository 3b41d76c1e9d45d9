/**
 * runAsUser (restricted, v1.23+; v1.35 exempts user-namespaced pods) in CEL:
 * runtime/engine/pss/run-as-user.ts.
 *
 * Restricted fields:
 *   spec.securityContext.runAsUser
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.runAsUser
 * Allowed values: any non-zero value, undefined/null
 * Findings: the pod's, then each container's (value `0`; exempt field `runAsUser`, no values).
 * From v1.35 pods with spec.hostUsers == false are not checked.
 */
import type { ControlCompile, NativeControl } from './control';
import { concat, containerLines, containerMessage, findingLines, podMessage, slot, unlessUserNamespace } from './findings';

const RELATIVE = 'securityContext.runAsUser';
const ALLOWED = 'non-zero or unset';

const v1_23: ControlCompile = (ctx) => {
  const pod = findingLines(ctx, { level: 'pod', relative: RELATIVE, exemptField: 'runAsUser', values: { kind: 'none' }, allowed: ALLOWED, message: podMessage(RELATIVE, '"0"') });
  if (typeof pod !== 'string') return pod;
  const container = findingLines(ctx, { level: 'container', relative: RELATIVE, exemptField: 'runAsUser', values: { kind: 'none' }, allowed: ALLOWED, message: containerMessage(RELATIVE, '"0"') });
  if (typeof container !== 'string') return container;
  return concat([
    slot('variables.spec.?securityContext.?runAsUser.orValue(1) == 0', pod),
    containerLines([slot('c.?securityContext.?runAsUser.orValue(1) == 0', container)]),
  ]);
};

export const runAsUser: NativeControl = {
  id: 'runAsUser',
  revisions: [
    { minVersion: 23, compile: v1_23 },
    { minVersion: 35, compile: unlessUserNamespace(v1_23) },
  ],
};

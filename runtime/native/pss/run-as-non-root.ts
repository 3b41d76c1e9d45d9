/**
 * runAsNonRoot (restricted, v1.0+; v1.35 exempts user-namespaced pods) in CEL:
 * runtime/engine/pss/run-as-non-root.ts.
 *
 * Restricted fields:
 *   spec.securityContext.runAsNonRoot
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.runAsNonRoot
 * Allowed values: true; a container may leave it undefined when the pod level sets true. Explicit
 *   false anywhere (pod or container) fails even when the other level says true.
 * Findings: the pod's `false`, then per container `<unset>` (allowed: true here or at pod level)
 * or `false` (exempt field `runAsNonRoot`, no values).
 * From v1.35 pods with spec.hostUsers == false are not checked.
 */
import type { ControlCompile, NativeControl } from './control';
import { concat, containerLines, containerMessage, findingLines, podMessage, slot, unlessUserNamespace } from './findings';

const RELATIVE = 'securityContext.runAsNonRoot';
const POD = 'variables.spec.?securityContext.?runAsNonRoot';
const CONTAINER = 'c.?securityContext.?runAsNonRoot';

const v1_0: ControlCompile = (ctx) => {
  const shape = { relative: RELATIVE, exemptField: 'runAsNonRoot', values: { kind: 'none' } } as const;
  const pod = findingLines(ctx, { ...shape, level: 'pod', allowed: 'true', message: podMessage(RELATIVE, '"false"') });
  if (typeof pod !== 'string') return pod;
  const unset = findingLines(ctx, { ...shape, level: 'container', allowed: 'true (here or at pod level)', message: containerMessage(RELATIVE, '"<unset>"') });
  if (typeof unset !== 'string') return unset;
  const explicit = findingLines(ctx, { ...shape, level: 'container', allowed: 'true', message: containerMessage(RELATIVE, '"false"') });
  if (typeof explicit !== 'string') return explicit;
  return concat([
    slot(`${POD}.orValue(true) == false`, pod),
    containerLines([slot(`!${CONTAINER}.hasValue() && ${POD}.orValue(false) != true`, unset), slot(`${CONTAINER}.orValue(true) == false`, explicit)]),
  ]);
};

export const runAsNonRoot: NativeControl = {
  id: 'runAsNonRoot',
  revisions: [
    { minVersion: 0, compile: v1_0 },
    { minVersion: 35, compile: unlessUserNamespace(v1_0) },
  ],
};

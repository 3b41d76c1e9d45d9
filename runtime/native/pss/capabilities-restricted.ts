/**
 * capabilities_restricted (restricted, v1.22+; v1.25 exempts Windows pods) in CEL:
 * runtime/engine/pss/capabilities-restricted.ts. Overrides capabilities_baseline.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.drop
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.add
 * Allowed values:
 *   drop: any list that includes "ALL" (exact, case-sensitive)
 *   add: undefined/empty or "NET_BIND_SERVICE" only
 * Findings per container: drop without "ALL" (shown as a JSON list or `<unset>`; exempt field
 * `capabilities.drop`, no values), then the added capabilities other than NET_BIND_SERVICE, each
 * once in first-occurrence order (findings.ts dedupCel; exempt field `capabilities.add`, values:
 * those capabilities, relieved one by one). From v1.25 pods with spec.os.name == "windows" are not checked.
 */
import type { ControlCompile, NativeControl } from './control';
import { containerLines, containerMessage, dedupCel, findingLines, jsonStringListCel, slot, unlessWindows } from './findings';

const DROP = 'c.?securityContext.?capabilities.?drop';

const v1_22: ControlCompile = (ctx) => {
  const dropShown = `(${DROP}.hasValue() ? ${jsonStringListCel(`${DROP}.value()`)} : "<unset>")`;
  const drop = findingLines(ctx, {
    level: 'container',
    relative: 'securityContext.capabilities.drop',
    exemptField: 'capabilities.drop',
    values: { kind: 'none' },
    allowed: 'a list including "ALL"',
    message: containerMessage('securityContext.capabilities.drop', dropShown),
  });
  if (typeof drop !== 'string') return drop;
  const add = findingLines(ctx, {
    level: 'container',
    relative: 'securityContext.capabilities.add',
    exemptField: 'capabilities.add',
    values: { kind: 'many', cel: 'bad' },
    allowed: 'NET_BIND_SERVICE or unset',
    message: containerMessage('securityContext.capabilities.add', jsonStringListCel('bad')),
  });
  if (typeof add !== 'string') return add;
  const bad = dedupCel('c.?securityContext.?capabilities.?add.orValue([]).filter(x, x != "NET_BIND_SERVICE")');
  return containerLines([slot(`!("ALL" in ${DROP}.orValue([]))`, drop), `[${bad}].map(bad, size(bad) > 0 ? ${add} : [])[0]`]);
};

export const capabilitiesRestricted: NativeControl = {
  id: 'capabilities_restricted',
  revisions: [
    { minVersion: 22, compile: v1_22 },
    { minVersion: 25, compile: unlessWindows(v1_22) },
  ],
};

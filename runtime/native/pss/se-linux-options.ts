/**
 * seLinuxOptions (baseline, v1.0+; v1.31 allows container_engine_t) in CEL:
 * runtime/engine/pss/se-linux-options.ts.
 *
 * Restricted fields:
 *   spec.securityContext.seLinuxOptions.{type,user,role}
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seLinuxOptions.{type,user,role}
 * Allowed values:
 *   type: undefined/"", container_t, container_init_t, container_kvm_t (+ container_engine_t from v1.31)
 *   user, role: undefined/""
 * Findings: the pod's type, user, role, then each container's (exempt field `seLinuxOptions.<k>`,
 * values [the value]); the three are strings in the API schema, shown as they are.
 */
import { celStringList } from '../cel-text';
import type { ControlCompile, NativeControl } from './control';
import { concat, containerLines, containerMessage, findingLines, podMessage, slot } from './findings';

const TYPES_1_0 = ['', 'container_t', 'container_init_t', 'container_kvm_t'];
const TYPES_1_31 = [...TYPES_1_0, 'container_engine_t'];
const KEYS = ['type', 'user', 'role'] as const;

function checkWith(allowedTypes: readonly string[]): ControlCompile {
  const allowed = `type ${allowedTypes.filter((t) => t !== '').join(', ')} or unset; user and role unset`;
  return (ctx) => {
    const pod: string[] = [];
    const container: string[] = [];
    for (const k of KEYS) {
      const relative = `securityContext.seLinuxOptions.${k}`;
      const bad = (opts: string): string => (k === 'type' ? `!(${opts}.?type.orValue("") in ${celStringList(allowedTypes)})` : `${opts}.?${k}.orValue("") != ""`);
      const podValue = `variables.spec.securityContext.seLinuxOptions.${k}`;
      const podLines = findingLines(ctx, { level: 'pod', relative, exemptField: `seLinuxOptions.${k}`, values: { kind: 'one', cel: podValue }, allowed, message: podMessage(relative, podValue) });
      if (typeof podLines !== 'string') return podLines;
      pod.push(slot(bad('variables.spec.?securityContext.?seLinuxOptions'), podLines));
      const value = `c.securityContext.seLinuxOptions.${k}`;
      const lines = findingLines(ctx, { level: 'container', relative, exemptField: `seLinuxOptions.${k}`, values: { kind: 'one', cel: value }, allowed, message: containerMessage(relative, value) });
      if (typeof lines !== 'string') return lines;
      container.push(slot(bad('c.?securityContext.?seLinuxOptions'), lines));
    }
    return concat([...pod, containerLines(container)]);
  };
}

export const seLinuxOptions: NativeControl = {
  id: 'seLinuxOptions',
  revisions: [
    { minVersion: 0, compile: checkWith(TYPES_1_0) },
    { minVersion: 31, compile: checkWith(TYPES_1_31) },
  ],
};

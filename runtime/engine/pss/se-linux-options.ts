/**
 * seLinuxOptions (baseline, v1.0+; v1.31 allows container_engine_t). Setting the SELinux type is
 * restricted, and setting a custom SELinux user or role option is forbidden.
 *
 * Restricted fields:
 *   spec.securityContext.seLinuxOptions.{type,user,role}
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seLinuxOptions.{type,user,role}
 * Allowed values:
 *   type: undefined/"", container_t, container_init_t, container_kvm_t (+ container_engine_t from v1.31)
 *   user, role: undefined/""
 */
import { containerFinding, containerSecurityContext, podFinding, podSecurityContext, rec, show, type PssCheck } from './check';
import type { Finding, PodView } from '../types';

const TYPES_1_0 = ['', 'container_t', 'container_init_t', 'container_kvm_t'];
const TYPES_1_31 = [...TYPES_1_0, 'container_engine_t'];

function checkWith(allowedTypes: readonly string[]) {
  const allowedText = `type ${allowedTypes.filter((t) => t !== '').join(', ')} or unset; user and role unset`;
  const problems = (opts: Record<string, unknown> | undefined): Array<[string, unknown]> => {
    if (opts === undefined) return [];
    const out: Array<[string, unknown]> = [];
    const type = opts.type;
    if (type !== undefined && type !== null && !(typeof type === 'string' && allowedTypes.includes(type))) out.push(['type', type]);
    for (const k of ['user', 'role'] as const) {
      const v = opts[k];
      if (v !== undefined && v !== null && v !== '') out.push([k, v]);
    }
    return out;
  };
  return (pod: PodView): Finding[] => {
    const out: Finding[] = [];
    for (const [k, v] of problems(rec(podSecurityContext(pod)?.seLinuxOptions))) {
      out.push(
        podFinding('seLinuxOptions', pod, `securityContext.seLinuxOptions.${k}`, v, allowedText, {
          exemptField: `seLinuxOptions.${k}`,
          values: [show(v)],
        }),
      );
    }
    for (const c of pod.containers) {
      for (const [k, v] of problems(rec(containerSecurityContext(c)?.seLinuxOptions))) {
        out.push(
          containerFinding('seLinuxOptions', c, `securityContext.seLinuxOptions.${k}`, v, allowedText, {
            exemptField: `seLinuxOptions.${k}`,
            values: [show(v)],
          }),
        );
      }
    }
    return out;
  };
}

export const seLinuxOptions: PssCheck = {
  id: 'seLinuxOptions',
  level: 'baseline',
  revisions: [
    { minVersion: 0, check: checkWith(TYPES_1_0) },
    { minVersion: 31, check: checkWith(TYPES_1_31) },
  ],
};

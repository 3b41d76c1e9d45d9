/**
 * sysctls (baseline; allowed set grows at v1.27, v1.29, v1.32 and v1.37). Sysctls can disable
 * security mechanisms or affect all containers on a host, and should be disallowed except for an
 * allowed "safe" subset.
 *
 * Restricted fields:
 *   spec.securityContext.sysctls[*].name
 * Allowed values: undefined/empty, or
 *   v1.0:  kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies,
 *          net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start
 *   v1.27: + net.ipv4.ip_local_reserved_ports
 *   v1.29: + net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl,
 *          net.ipv4.tcp_keepalive_probes
 *   v1.32: + net.ipv4.tcp_rmem, net.ipv4.tcp_wmem
 *   v1.37: + net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat (unreleased upstream)
 */
import { podField, podSecurityContext, rec, type PssCheck } from './check';
import type { Finding, PodView } from '../types';

const V1_0 = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
const V1_27 = [...V1_0, 'net.ipv4.ip_local_reserved_ports'];
const V1_29 = [
  ...V1_27,
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const V1_32 = [...V1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const V1_37 = [...V1_32, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

function checkWith(allowed: readonly string[]) {
  const set = new Set(allowed);
  return (pod: PodView): Finding[] => {
    const list = podSecurityContext(pod)?.sysctls;
    if (!Array.isArray(list)) return [];
    const bad: string[] = [];
    for (const s of list) {
      const name = rec(s)?.name;
      const n = typeof name === 'string' ? name : '';
      if (!set.has(n) && !bad.includes(n)) bad.push(n);
    }
    if (bad.length === 0) return [];
    const field = podField(pod, 'securityContext.sysctls');
    return [
      {
        control: 'sysctls',
        field,
        exemptField: 'sysctls',
        values: bad,
        allowed: allowed.join(', '),
        message: `pod ${field}=${bad.join(',')} is not allowed`,
      },
    ];
  };
}

export const sysctls: PssCheck = {
  id: 'sysctls',
  level: 'baseline',
  revisions: [
    { minVersion: 0, check: checkWith(V1_0) },
    { minVersion: 27, check: checkWith(V1_27) },
    { minVersion: 29, check: checkWith(V1_29) },
    { minVersion: 32, check: checkWith(V1_32) },
    { minVersion: 37, check: checkWith(V1_37) },
  ],
};

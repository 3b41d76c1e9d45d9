/**
 * sysctls (baseline; allowed set grows at v1.27, v1.29, v1.32 and v1.37) in CEL:
 * runtime/engine/pss/sysctls.ts.
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
 * Finding: one for the pod, listing the names not allowed, each once in first-occurrence order
 * (findings.ts dedupCel; exempt field `sysctls`, values: those names, relieved one by one).
 */
import { celStringList } from '../cel-text';
import type { ControlCompile, NativeControl } from './control';
import { dedupCel, findingLines, podMessage } from './findings';

const V1_0 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];
const V1_27 = [...V1_0, 'net.ipv4.ip_local_reserved_ports'];
const V1_29 = [...V1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const V1_32 = [...V1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const V1_37 = [...V1_32, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

function checkWith(allowed: readonly string[]): ControlCompile {
  return (ctx) => {
    const relative = 'securityContext.sysctls';
    const lines = findingLines(ctx, {
      level: 'pod',
      relative,
      exemptField: 'sysctls',
      values: { kind: 'many', cel: 'bad' },
      allowed: allowed.join(', '),
      message: podMessage(relative, 'bad.join(",")'),
    });
    if (typeof lines !== 'string') return lines;
    if (lines === '[]') return lines;
    const bad = dedupCel(`variables.spec.?securityContext.?sysctls.orValue([]).map(s, s.?name.orValue("")).filter(n, !(n in ${celStringList(allowed)}))`);
    return `[${bad}].map(bad, size(bad) > 0 ? ${lines} : [])[0]`;
  };
}

export const sysctls: NativeControl = {
  id: 'sysctls',
  revisions: [
    { minVersion: 0, compile: checkWith(V1_0) },
    { minVersion: 27, compile: checkWith(V1_27) },
    { minVersion: 29, compile: checkWith(V1_29) },
    { minVersion: 32, compile: checkWith(V1_32) },
    { minVersion: 37, compile: checkWith(V1_37) },
  ],
};

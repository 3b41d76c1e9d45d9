/**
 * hostProbesAndHostLifecycle (baseline, v1.34+). Probes and lifecycle hooks must not target a
 * host other than the pod itself (the kubelet would connect to an arbitrary address).
 *
 * Restricted fields, for spec.{initContainers,containers,ephemeralContainers}[*]:
 *   livenessProbe / readinessProbe / startupProbe .httpGet.host and .tcpSocket.host
 *   lifecycle.postStart / lifecycle.preStop .httpGet.host and .tcpSocket.host
 * Allowed values: undefined/""
 */
import { containerFinding, rec, show, type PssCheck } from './check';
import type { ContainerRef, Finding } from '../types';

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const HOOKS = ['postStart', 'preStop'] as const;
const HANDLERS = ['httpGet', 'tcpSocket'] as const;
const HOOK_FIELDS: Readonly<Record<(typeof HOOKS)[number], string>> = { postStart: 'lifecycle.postStart', preStop: 'lifecycle.preStop' };

/** Findings for one probe or hook (`where`) of container `c` whose handler names a host. */
function checkHandler(out: Finding[], c: ContainerRef, where: string, handler: Record<string, unknown> | undefined): void {
  if (handler === undefined) return;
  for (const kind of HANDLERS) {
    const host = rec(handler[kind])?.host;
    if (host === undefined || host === null || host === '') continue;
    out.push(
      containerFinding('hostProbesAndHostLifecycle', c, `${where}.${kind}.host`, host, 'unset or ""', {
        exemptField: `${where}.${kind}.host`,
        values: [show(host)],
      }),
    );
  }
}

export const hostProbesAndHostLifecycle: PssCheck = {
  id: 'hostProbesAndHostLifecycle',
  level: 'baseline',
  revisions: [
    {
      minVersion: 34,
      check: (pod) => {
        const out: Finding[] = [];
        // Probes first, then lifecycle hooks, per container (the order findings are reported in).
        for (const c of pod.containers) {
          for (const p of PROBES) checkHandler(out, c, p, rec(c.container[p]));
          const lifecycle = rec(c.container.lifecycle);
          for (const h of HOOKS) checkHandler(out, c, HOOK_FIELDS[h], rec(lifecycle?.[h]));
        }
        return out;
      },
    },
  ],
};

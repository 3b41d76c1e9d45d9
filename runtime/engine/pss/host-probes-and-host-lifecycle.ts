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
import type { Finding } from '../types';

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const HOOKS = ['postStart', 'preStop'] as const;
const HANDLERS = ['httpGet', 'tcpSocket'] as const;

export const hostProbesAndHostLifecycle: PssCheck = {
  id: 'hostProbesAndHostLifecycle',
  level: 'baseline',
  revisions: [
    {
      minVersion: 34,
      check: (pod) => {
        const out: Finding[] = [];
        for (const c of pod.containers) {
          const places: Array<[string, Record<string, unknown> | undefined]> = [
            ...PROBES.map((p): [string, Record<string, unknown> | undefined] => [p, rec(c.container[p])]),
            ...HOOKS.map((h): [string, Record<string, unknown> | undefined] => [`lifecycle.${h}`, rec(rec(c.container.lifecycle)?.[h])]),
          ];
          for (const [where, handler] of places) {
            if (handler === undefined) continue;
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
        }
        return out;
      },
    },
  ],
};

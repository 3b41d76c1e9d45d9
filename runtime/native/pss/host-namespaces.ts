/**
 * hostNamespaces (baseline, v1.0+) in CEL: runtime/engine/pss/host-namespaces.ts.
 *
 * Restricted fields:
 *   spec.hostNetwork
 *   spec.hostPID
 *   spec.hostIPC
 * Allowed values: undefined/null, false
 * Findings: one per field set to true, in that order (exempt field: the field name, values ["true"]).
 */
import type { NativeControl } from './control';
import { concat, findingLines, podMessage, slot } from './findings';

const FIELDS = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

export const hostNamespaces: NativeControl = {
  id: 'hostNamespaces',
  revisions: [
    {
      minVersion: 0,
      compile: (ctx) => {
        const parts: string[] = [];
        for (const f of FIELDS) {
          const lines = findingLines(ctx, { level: 'pod', relative: f, exemptField: f, values: { kind: 'one', cel: '"true"' }, allowed: 'false or unset', message: podMessage(f, '"true"') });
          if (typeof lines !== 'string') return lines;
          parts.push(slot(`variables.spec.?${f}.orValue(false) == true`, lines));
        }
        return concat(parts);
      },
    },
  ],
};

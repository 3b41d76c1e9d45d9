/**
 * capabilities_baseline (baseline, v1.0+) in CEL: runtime/engine/pss/capabilities-baseline.ts.
 * Replaced by capabilities_restricted at the restricted level.
 *
 * Restricted fields:
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.capabilities.add
 * Allowed values: undefined/empty, or a subset of AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID,
 *   KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT (exact, case-sensitive)
 * Findings: per container, the capabilities added outside that set, each once in first-occurrence
 * order (findings.ts dedupCel), shown as a JSON list (exempt field `capabilities.add`, values:
 * those capabilities, relieved one by one).
 */
import { BASELINE_CAPABILITIES } from '../../engine/pss/capabilities-baseline';
import { celStringList } from '../cel-text';
import type { NativeControl } from './control';
import { containerLines, containerMessage, dedupCel, findingLines, jsonStringListCel } from './findings';

const RELATIVE = 'securityContext.capabilities.add';

export const capabilitiesBaseline: NativeControl = {
  id: 'capabilities_baseline',
  revisions: [
    {
      minVersion: 0,
      compile: (ctx) => {
        const lines = findingLines(ctx, {
          level: 'container',
          relative: RELATIVE,
          exemptField: 'capabilities.add',
          values: { kind: 'many', cel: 'bad' },
          allowed: [...BASELINE_CAPABILITIES].join(', '),
          message: containerMessage(RELATIVE, jsonStringListCel('bad')),
        });
        if (typeof lines !== 'string') return lines;
        const bad = dedupCel(`c.?securityContext.?capabilities.?add.orValue([]).filter(x, !(x in ${celStringList([...BASELINE_CAPABILITIES])}))`);
        return containerLines([`[${bad}].map(bad, size(bad) > 0 ? ${lines} : [])[0]`]);
      },
    },
  ],
};

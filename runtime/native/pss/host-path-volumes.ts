/**
 * hostPathVolumes (baseline, v1.0+) in CEL: runtime/engine/pss/host-path-volumes.ts. Replaced by
 * restrictedVolumes at the restricted level.
 *
 * Restricted fields:
 *   spec.volumes[*].hostPath
 * Allowed values: undefined/null
 * Findings: per hostPath volume, `pod volume "<name>" <spec>.volumes[i].hostPath.path=<path>`
 * (exempt field `hostPath.path`, values [the path]). The volume's index is `volumes.indexOf(v)`
 * (Kubernetes lists library): exact, volume names being unique in a pod (API-server validation).
 */
import type { NativeControl } from './control';
import { findingLines, itemLines } from './findings';

const ITEM = 'variables.spec.volumes.indexOf(v)';
const PATH = 'v.hostPath.?path.orValue("<unset>")';

export const hostPathVolumes: NativeControl = {
  id: 'hostPathVolumes',
  revisions: [
    {
      minVersion: 0,
      compile: (ctx) => {
        const message = `"pod volume \\"" + v.name + "\\" " + variables.specField + ".volumes[" + string(${ITEM}) + "].hostPath.path=" + ${PATH} + " is not allowed"`;
        const lines = findingLines(ctx, {
          level: 'pod',
          relative: 'volumes[#].hostPath',
          item: ITEM,
          exemptField: 'hostPath.path',
          values: { kind: 'one', cel: PATH },
          allowed: 'no hostPath volumes',
          message,
        });
        if (typeof lines !== 'string') return lines;
        return itemLines('variables.spec.?volumes.orValue([])', 'v', 'has(v.hostPath)', lines);
      },
    },
  ],
};

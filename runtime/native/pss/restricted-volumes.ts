/**
 * restrictedVolumes (restricted, v1.0+) in CEL: runtime/engine/pss/restricted-volumes.ts.
 * Overrides hostPathVolumes. (`image` volumes are allowed at every policy version.)
 *
 * Restricted fields:
 *   spec.volumes[*] — the volume source
 * Allowed values: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim,
 *   projected, secret. A volume with no source at all is allowed.
 * Findings: per volume with a source type not allowed, `pod volume "<name>" of type <types>
 * (<spec>.volumes[i].<first type>)` (exempt field `volumes`, values: those types). The volume's
 * index is `volumes.indexOf(v)` (Kubernetes lists library): exact, volume names being unique in a
 * pod. The types are the volume's keys other than `name`: the API server admits exactly one source
 * per volume, so the order in which CEL iterates a map's keys does not matter.
 */
import { celString, celStringList, re2Literal } from '../cel-text';
import { fieldOf } from '../families';
import { ALLOWED_VOLUME_TYPES } from '../../engine/pss/restricted-volumes';
import type { NativeControl } from './control';
import { findingLines, itemLines } from './findings';

const ITEM = 'variables.spec.volumes.indexOf(v)';
const ALLOWED = [...ALLOWED_VOLUME_TYPES];

export const restrictedVolumes: NativeControl = {
  id: 'restrictedVolumes',
  revisions: [
    {
      minVersion: 0,
      compile: (ctx) => {
        const field = `variables.specField + ".volumes[" + string(${ITEM}) + "]." + bad[0]`;
        const lines = findingLines(ctx, {
          level: 'pod',
          relative: 'volumes',
          exemptField: 'volumes',
          values: { kind: 'many', cel: 'bad' },
          allowed: ALLOWED.join(', '),
          message: `"pod volume \\"" + v.name + "\\" of type " + bad.join(",") + " (" + ${field} + ") is not allowed"`,
          fields: {
            fields: () => ['volumes'],
            fieldCel: (f, t) => {
              const m = new RegExp(`^${re2Literal(fieldOf(t.podSpecPath))}\\.volumes\\[(0|[1-9][0-9]{0,8})\\]\\.(.+)$`).exec(f);
              return m === null ? 'false' : `${ITEM} == ${m[1]} && bad[0] == ${celString(m[2])}`;
            },
          },
        });
        if (typeof lines !== 'string') return lines;
        const bad = `v.filter(k, k != "name" && !(k in ${celStringList(ALLOWED)}))`;
        return itemLines('variables.spec.?volumes.orValue([])', 'v', `v.exists(k, k != "name" && !(k in ${celStringList(ALLOWED)}))`, `[${bad}].map(bad, ${lines})[0]`);
      },
    },
  ],
};

/**
 * restrictedVolumes (restricted, v1.0+). The restricted policy only permits these volume types.
 * Overrides hostPathVolumes. (Upstream amended the single v1.0 revision in place to allow `image`
 * volumes, so they are allowed at every policy version.)
 *
 * Restricted fields:
 *   spec.volumes[*] — the volume source
 * Allowed values: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim,
 *   projected, secret. A volume with no source at all is what the API server defaults to emptyDir
 *   and is allowed (manifests read offline are not yet defaulted).
 */
import { indexedRecords, podField, show, type PssCheck } from './check';
import type { Finding } from '../types';

export const ALLOWED_VOLUME_TYPES: ReadonlySet<string> = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

export const restrictedVolumes: PssCheck = {
  id: 'restrictedVolumes',
  level: 'restricted',
  overrides: ['hostPathVolumes'],
  revisions: [
    {
      minVersion: 0,
      check: (pod) => {
        const out: Finding[] = [];
        for (const [vol, i] of indexedRecords(pod.spec.volumes)) {
          // The volume's source types (every set key but `name`) that are not allowed.
          let bad: string[] | undefined;
          for (const k of Object.keys(vol)) {
            if (k === 'name' || vol[k] === undefined || vol[k] === null || ALLOWED_VOLUME_TYPES.has(k)) continue;
            (bad ??= []).push(k);
          }
          if (bad === undefined) continue;
          const field = podField(pod, `volumes[${i}].${bad[0]}`);
          out.push({
            control: 'restrictedVolumes',
            field,
            exemptField: 'volumes',
            values: bad,
            allowed: [...ALLOWED_VOLUME_TYPES].join(', '),
            message: `pod volume "${show(vol.name)}" of type ${bad.join(',')} (${field}) is not allowed`,
          });
        }
        return out;
      },
    },
  ],
};

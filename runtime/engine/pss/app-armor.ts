/**
 * appArmorProfile (baseline, v1.0+). On supported hosts, the RuntimeDefault AppArmor profile is
 * applied by default; the baseline policy prevents overriding or disabling it, or restricting
 * overrides to an allowed set of profiles. Upstream amended the single v1.0 revision in place to
 * check the fields too, so the fields are checked at every policy version.
 *
 * Restricted fields:
 *   spec.securityContext.appArmorProfile.type
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.appArmorProfile.type
 *   metadata.annotations["container.apparmor.security.beta.kubernetes.io/*"]
 * Allowed values:
 *   fields: undefined/null (no profile object), "RuntimeDefault", "Localhost"
 *   annotations: undefined, "" , "runtime/default", "localhost/*"
 * Controllers: the annotations are read from the pod template's metadata.
 */
import {
  annotationField,
  containerLabel,
  containerSecurityContext,
  findContainer,
  podSecurityContext,
  profileTypeFinding,
  rec,
  show,
  type PssCheck,
} from './check';
import type { Finding } from '../types';

export const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const FIELD_ALLOWED = 'RuntimeDefault, Localhost or unset';
const ANNOTATION_ALLOWED = 'runtime/default, localhost/<profile> or unset';

function allowedProfile(profile: unknown): boolean {
  if (profile === undefined || profile === null) return true;
  const type = rec(profile)?.type;
  return type === 'RuntimeDefault' || type === 'Localhost';
}

function allowedAnnotation(value: unknown): boolean {
  return value === '' || value === 'runtime/default' || (typeof value === 'string' && value.startsWith('localhost/'));
}

export const appArmorProfile: PssCheck = {
  id: 'appArmorProfile',
  level: 'baseline',
  revisions: [
    {
      minVersion: 0,
      check: (pod) => {
        const out: Finding[] = [];
        const podProfile = podSecurityContext(pod)?.appArmorProfile;
        if (!allowedProfile(podProfile)) {
          out.push(profileTypeFinding('appArmorProfile', pod, undefined, 'appArmorProfile', rec(podProfile)?.type, FIELD_ALLOWED));
        }
        for (const c of pod.containers) {
          const profile = containerSecurityContext(c)?.appArmorProfile;
          if (allowedProfile(profile)) continue;
          out.push(profileTypeFinding('appArmorProfile', pod, c, 'appArmorProfile', rec(profile)?.type, FIELD_ALLOWED));
        }
        const annotations = rec(pod.metadata.annotations) ?? {};
        for (const [key, value] of Object.entries(annotations)) {
          if (!key.startsWith(APPARMOR_ANNOTATION_PREFIX) || allowedAnnotation(value)) continue;
          const name = key.slice(APPARMOR_ANNOTATION_PREFIX.length);
          const c = findContainer(pod, name);
          const field = annotationField(pod, key);
          const finding: Finding = {
            control: 'appArmorProfile',
            field,
            exemptField: 'appArmorProfile.type',
            values: [show(value)],
            allowed: ANNOTATION_ALLOWED,
            message: `${c ? containerLabel(c) : `container "${name}"`} ${field}=${show(value)} is not allowed`,
          };
          if (c !== undefined) finding.container = c;
          out.push(finding);
        }
        return out;
      },
    },
  ],
};

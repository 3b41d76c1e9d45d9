/**
 * seccompProfile_baseline (baseline; v1.0 annotations, v1.19+ fields). Seccomp profile must not be
 * explicitly set to Unconfined. Replaced by seccompProfile_restricted at the restricted level from
 * v1.19.
 *
 * v1.0 restricted fields (annotations, read from the pod / pod template metadata):
 *   metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]
 *   metadata.annotations["container.seccomp.security.alpha.kubernetes.io/<container name>"]
 * Allowed values: undefined, "runtime/default", "docker/default", "localhost/*"
 *
 * v1.19+ restricted fields:
 *   spec.securityContext.seccompProfile.type
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seccompProfile.type
 * Allowed values: undefined/null (no profile object), "RuntimeDefault", "Localhost"
 */
import { annotationField, containerLabel, containerSecurityContext, podSecurityContext, profileTypeFinding, rec, show, type PssCheck } from './check';
import type { Finding, PodView } from '../types';

export const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
export const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

function allowedAnnotation(v: unknown): boolean {
  return v === 'runtime/default' || v === 'docker/default' || (typeof v === 'string' && v.startsWith('localhost/'));
}

export function validSeccompType(type: unknown): boolean {
  return type === 'RuntimeDefault' || type === 'Localhost';
}

const ANNOTATION_ALLOWED = 'runtime/default, docker/default, localhost/<profile> or unset';
const FIELD_ALLOWED = 'RuntimeDefault, Localhost or unset';

function annotations1_0(pod: PodView): Finding[] {
  const out: Finding[] = [];
  const annotations = rec(pod.metadata.annotations) ?? {};
  if (SECCOMP_POD_ANNOTATION in annotations && !allowedAnnotation(annotations[SECCOMP_POD_ANNOTATION])) {
    const field = annotationField(pod, SECCOMP_POD_ANNOTATION);
    const value = annotations[SECCOMP_POD_ANNOTATION];
    out.push({
      control: 'seccompProfile_baseline',
      field,
      exemptField: 'seccompProfile.type',
      values: [show(value)],
      allowed: ANNOTATION_ALLOWED,
      message: `pod ${field}=${show(value)} is not allowed`,
    });
  }
  for (const c of pod.containers) {
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name;
    if (!(key in annotations) || allowedAnnotation(annotations[key])) continue;
    const field = annotationField(pod, key);
    out.push({
      control: 'seccompProfile_baseline',
      container: c,
      field,
      exemptField: 'seccompProfile.type',
      values: [show(annotations[key])],
      allowed: ANNOTATION_ALLOWED,
      message: `${containerLabel(c)} ${field}=${show(annotations[key])} is not allowed`,
    });
  }
  return out;
}

function fields1_19(pod: PodView): Finding[] {
  const out: Finding[] = [];
  const podProfile = rec(podSecurityContext(pod)?.seccompProfile);
  if (podProfile !== undefined && !validSeccompType(podProfile.type)) {
    out.push(profileTypeFinding('seccompProfile_baseline', pod, undefined, 'seccompProfile', podProfile.type, FIELD_ALLOWED));
  }
  for (const c of pod.containers) {
    const profile = rec(containerSecurityContext(c)?.seccompProfile);
    if (profile === undefined || validSeccompType(profile.type)) continue;
    out.push(profileTypeFinding('seccompProfile_baseline', pod, c, 'seccompProfile', profile.type, FIELD_ALLOWED));
  }
  return out;
}

export const seccompProfileBaseline: PssCheck = {
  id: 'seccompProfile_baseline',
  level: 'baseline',
  revisions: [
    { minVersion: 0, check: annotations1_0 },
    { minVersion: 19, check: fields1_19 },
  ],
};

/**
 * seccompProfile_baseline (baseline; v1.0 annotations, v1.19+ fields) in CEL:
 * runtime/engine/pss/seccomp-baseline.ts. Replaced by seccompProfile_restricted at the restricted
 * level from v1.19.
 *
 * v1.0 restricted fields (annotations, read from the pod / pod template metadata):
 *   metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]
 *   metadata.annotations["container.seccomp.security.alpha.kubernetes.io/<container name>"]
 * Allowed values: undefined, "runtime/default", "docker/default", "localhost/*"
 * Findings: the pod annotation's, then each container's (exempt field `seccompProfile.type`,
 * values [the annotation value, a string]).
 *
 * v1.19+ restricted fields:
 *   spec.securityContext.seccompProfile.type
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seccompProfile.type
 * Allowed values: undefined/null (no profile object), "RuntimeDefault", "Localhost"
 * Findings: the pod's, then each container's (profile.ts).
 */
import { celString } from '../cel-text';
import { ANNOTATIONS, annotationFieldCel, annotationFields, fixedAnnotationFields } from './annotations';
import type { ControlCompile, NativeControl } from './control';
import { concat, containerLines, findingLines, slot } from './findings';
import { profileTypeLines } from './profile';

const POD_KEY = 'seccomp.security.alpha.kubernetes.io/pod';
const CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const ANNOTATION_ALLOWED = 'runtime/default, docker/default, localhost/<profile> or unset';
const FIELD_ALLOWED = 'RuntimeDefault, Localhost or unset';
const EXEMPT_FIELD = 'seccompProfile.type';

function allowedAnnotation(v: string): string {
  return `(${v} == "runtime/default" || ${v} == "docker/default" || ${v}.startsWith("localhost/"))`;
}

const annotations1_0: ControlCompile = (ctx) => {
  const podKey = celString(POD_KEY);
  const podValue = `an[${podKey}]`;
  const pod = findingLines(ctx, {
    level: 'pod',
    relative: 'metadata.annotations',
    exemptField: EXEMPT_FIELD,
    values: { kind: 'one', cel: podValue },
    allowed: ANNOTATION_ALLOWED,
    message: `"pod " + ${annotationFieldCel(podKey)} + "=" + ${podValue} + " is not allowed"`,
    fields: fixedAnnotationFields(EXEMPT_FIELD, POD_KEY),
  });
  if (typeof pod !== 'string') return pod;
  const key = `(${celString(CONTAINER_PREFIX)} + c.name)`;
  const value = `an[${key}]`;
  const container = findingLines(ctx, {
    level: 'container',
    relative: 'metadata.annotations',
    exemptField: EXEMPT_FIELD,
    values: { kind: 'one', cel: value },
    allowed: ANNOTATION_ALLOWED,
    message: `cl + " " + ${annotationFieldCel(key)} + "=" + ${value} + " is not allowed"`,
    fields: annotationFields(EXEMPT_FIELD, CONTAINER_PREFIX, (name) => `c.name == ${celString(name)}`),
  });
  if (typeof container !== 'string') return container;
  const body = concat([slot(`${podKey} in an && !${allowedAnnotation(podValue)}`, pod), containerLines([slot(`${key} in an && !${allowedAnnotation(value)}`, container)])]);
  return body === '[]' ? body : `[${ANNOTATIONS}].map(an, ${body})[0]`;
};

const fields1_19: ControlCompile = (ctx) => {
  const profile = profileTypeLines(ctx, 'seccompProfile', FIELD_ALLOWED);
  if ('reason' in profile) return profile;
  return concat([profile.pod, containerLines([profile.container])]);
};

export const seccompProfileBaseline: NativeControl = {
  id: 'seccompProfile_baseline',
  revisions: [
    { minVersion: 0, compile: annotations1_0 },
    { minVersion: 19, compile: fields1_19 },
  ],
};

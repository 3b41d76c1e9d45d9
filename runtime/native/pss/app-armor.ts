/**
 * appArmorProfile (baseline, v1.0+) in CEL: runtime/engine/pss/app-armor.ts. Upstream amended the
 * single v1.0 revision in place to check the fields too, so the fields are checked at every
 * policy version.
 *
 * Restricted fields:
 *   spec.securityContext.appArmorProfile.type
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.appArmorProfile.type
 *   metadata.annotations["container.apparmor.security.beta.kubernetes.io/*"]
 * Allowed values:
 *   fields: undefined/null (no profile object), "RuntimeDefault", "Localhost"
 *   annotations: undefined, "", "runtime/default", "localhost/*"
 * Controllers: the annotations are read from the pod template's metadata.
 * Findings: the pod's field, each container's (profile.ts), then one per annotation not allowed, in
 * the order of their keys (annotations.ts), labelled with the container it names when there is one
 * (`container "<name>"` otherwise); exempt field `appArmorProfile.type`, values [the annotation
 * value, a string]; an exemption narrowing by image relieves only an annotation naming a container.
 */
import { celString } from '../cel-text';
import { ANNOTATIONS, annotationFieldCel, annotationFields, sortedDistinctCel } from './annotations';
import type { NativeControl } from './control';
import { CONTAINER_LABEL, concat, containerLines, findingLines } from './findings';
import { profileTypeLines } from './profile';

const PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const FIELD_ALLOWED = 'RuntimeDefault, Localhost or unset';
const ANNOTATION_ALLOWED = 'runtime/default, localhost/<profile> or unset';
const EXEMPT_FIELD = 'appArmorProfile.type';

export const appArmorProfile: NativeControl = {
  id: 'appArmorProfile',
  revisions: [
    {
      minVersion: 0,
      compile: (ctx) => {
        const profile = profileTypeLines(ctx, 'appArmorProfile', FIELD_ALLOWED);
        if ('reason' in profile) return profile;
        const fields = annotationFields(EXEMPT_FIELD, PREFIX, (name) => `k == ${celString(PREFIX + name)}`);
        const text = `${annotationFieldCel('k')} + "=" + an[k] + " is not allowed"`;
        const shape = { relative: 'metadata.annotations', exemptField: EXEMPT_FIELD, values: { kind: 'one', cel: 'an[k]' }, allowed: ANNOTATION_ALLOWED, fields } as const;
        const named = findingLines(ctx, { ...shape, level: 'container', message: `cl + " " + ${text}` });
        if (typeof named !== 'string') return named;
        const unnamed = findingLines(ctx, { ...shape, level: 'pod', message: `"container \\"" + n + "\\" " + ${text}` });
        if (typeof unnamed !== 'string') return unnamed;
        const joined = (lines: string): string => (lines === '[]' ? '""' : `(${lines}).join(" | ")`);
        let annotations = '[]';
        if (named !== '[]' || unnamed !== '[]') {
          const bad = `an.filter(k, k.startsWith(${celString(PREFIX)}) && !(an[k] == "" || an[k] == "runtime/default" || an[k].startsWith("localhost/")))`;
          const perKey =
            `[k.substring(${PREFIX.length})].map(n, variables.containers.exists(c, c.name == n) ? ` +
            `variables.containers.filter(c, c.name == n).map(c, [${CONTAINER_LABEL}].map(cl, ${joined(named)})[0])[0] : ${joined(unnamed)})[0]`;
          annotations = `[${ANNOTATIONS}].map(an, ${sortedDistinctCel(bad)}.map(k, ${perKey}).filter(s, s != ""))[0]`;
        }
        return concat([profile.pod, containerLines([profile.container]), annotations]);
      },
    },
  ],
};

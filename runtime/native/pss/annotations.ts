/**
 * Annotation findings of the Pod Security controls (appArmorProfile, seccompProfile_baseline v1.0):
 * the field text of runtime/engine/pss/check.ts `annotationField`, its exempt-field candidates
 * (exemptions.ts `entryEffect`: the exempt field and that field), and the engine's order over
 * annotation keys.
 *
 * Order: the webhook reads the AdmissionReview the API server writes, where an annotation map (a
 * Go map[string]string) is encoded with its keys sorted (byte order; annotation keys are ASCII
 * qualified names), so the engine meets them sorted. CEL iterates a map in no defined order (a Go
 * map), so keys are put in that order here by their ranks: `sortedDistinctCel`.
 */
import type { Target } from '../../bundle';
import type { ExemptionFinding } from '../compile';
import { fieldOf } from '../families';

/** CEL map<string, string>: the pod's (or the pod template's) annotations. */
export const ANNOTATIONS = 'variables.meta.?annotations.orValue({})';

/** CEL string: `<metadata field>.annotations["<key>"]` for the CEL string `key` (check.ts annotationField). */
export function annotationFieldCel(key: string): string {
  return `(variables.metaField == "" ? "metadata" : variables.metaField) + ".annotations[\\"" + ${key} + "\\"]"`;
}

function metadataFieldOf(t: Target): string {
  const f = fieldOf(t.podMetadataPath);
  return f === '' ? 'metadata' : f;
}

/**
 * Exempt-field candidates of an annotation finding: `exemptField`, and the annotation's field. Its
 * key is `prefix` + a suffix known at admission; `keyIs(suffix)` is the CEL bool "the finding's key
 * has this suffix".
 */
export function annotationFields(exemptField: string, prefix: string, keyIs: (suffix: string) => string): Pick<ExemptionFinding, 'fields' | 'fieldCel'> {
  return {
    fields: () => [exemptField],
    fieldCel: (field, t) => {
      const head = `${metadataFieldOf(t)}.annotations["${prefix}`;
      if (field.length < head.length + 2 || !field.startsWith(head) || !field.endsWith('"]')) return 'false';
      return keyIs(field.slice(head.length, -2));
    },
  };
}

/** The candidates of an annotation finding whose key is `key` for every object. */
export function fixedAnnotationFields(exemptField: string, key: string): Pick<ExemptionFinding, 'fields' | 'fieldCel'> {
  return { fields: (t) => [exemptField, `${metadataFieldOf(t)}.annotations["${key}"]`] };
}

/**
 * CEL list<string>: the strings of `list` (distinct, as map keys are) in ascending order, by rank:
 * `rk` holds each one's rank (how many are smaller), a permutation of 0..n-1, so `rk.map(x,
 * rk.indexOf(x))` is 0..n-1 in order and the string of rank i is `l[rk.indexOf(i)]`.
 */
export function sortedDistinctCel(list: string): string {
  return `[${list}].map(sl, [sl.map(k, size(sl.filter(y, y < k)))].map(rk, rk.map(x, rk.indexOf(x)).map(i, sl[rk.indexOf(i)]))[0])[0]`;
}

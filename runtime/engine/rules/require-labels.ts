/**
 * requireLabels (validating): the pod (or a controller's pod template) must carry the required
 * labels, with values matching the optional patterns.
 *
 * Applies to: `metadata.labels` of a Pod, `spec.template.metadata.labels` of a controller
 * (`spec.jobTemplate.spec.template.metadata.labels` for a CronJob) — wherever the rule's target
 * puts the pod metadata.
 * Allowed values: for each `rule.labels` entry, the label is present with a value that is a valid
 * Kubernetes label value (at most 63 characters of `[A-Za-z0-9._-]`, alphanumeric at both ends)
 * and, with `valuePattern`, matches it in full (anchored `^(?:pattern)$`); without a pattern the
 * value must not be empty. Patterns are checked for catastrophic backtracking (safe-regex.ts), and
 * a value is only matched after its syntax and length have been checked.
 * Findings: one per missing or invalid label (so the message lists every one), control
 * `requireLabels`, field `…metadata.labels.<key>`, exemptField `labels`, values = [key].
 */
import type { RequireLabelsRule } from '../../bundle';
import { hasOwnField, ownField, ownRecord, showValue } from '../own-fields';
import { compileAnchoredPattern } from '../safe-regex';
import type { Finding, RuleFamily, RuleInput } from '../types';

const CONTROL = 'requireLabels';
const LABEL_VALUE = /^(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function labelField(metadataField: string, key: string): string {
  const base = metadataField === '' ? 'labels' : `${metadataField}.labels`;
  return /^[A-Za-z0-9_-]+$/.test(key) ? `${base}.${key}` : `${base}[${key}]`;
}

const patternCache = new Map<string, RegExp>();
function pattern(p: string): RegExp {
  let re = patternCache.get(p);
  if (re === undefined) {
    re = compileAnchoredPattern(p);
    if (patternCache.size >= 256) patternCache.clear();
    patternCache.set(p, re);
  }
  return re;
}

export const requireLabels: RuleFamily<RequireLabelsRule> = {
  validate: ({ rule, pod }: RuleInput<RequireLabelsRule>): Finding[] => {
    const labels = ownRecord(pod.metadata, 'labels');
    const findings: Finding[] = [];
    for (const { key, valuePattern } of rule.labels) {
      const field = labelField(pod.metadataField, key);
      const base = { control: CONTROL, field, exemptField: 'labels', values: [key] };
      const allowed = valuePattern === undefined ? 'a non-empty value' : `a value matching ${valuePattern}`;
      if (labels === undefined || !hasOwnField(labels, key)) {
        const where = pod.metadataField === '' ? 'labels' : `${pod.metadataField}.labels`;
        findings.push({ ...base, allowed, message: `required label ${key} is missing from ${where}` });
        continue;
      }
      const value = ownField(labels, key);
      if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
        findings.push({ ...base, allowed, message: `label ${key}=${showValue(value)} is not allowed: not a valid label value` });
      } else if (valuePattern === undefined && value === '') {
        findings.push({ ...base, allowed, message: `label ${key}= is not allowed: the value must not be empty` });
      } else if (valuePattern !== undefined && !pattern(valuePattern).test(value)) {
        findings.push({ ...base, allowed, message: `label ${key}=${showValue(value)} is not allowed` });
      }
    }
    return findings;
  },
};

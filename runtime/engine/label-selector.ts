/**
 * Kubernetes label selectors (metav1.LabelSelector) evaluated against a label map. Pure.
 * Semantics as the API server applies them: every matchLabels pair and every matchExpressions
 * requirement must hold; an empty selector matches everything.
 */
import type { LabelSelector, LabelSelectorRequirement } from '../bundle';

export function matchesLabelSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    if (!matchesRequirement(req, labels)) return false;
  }
  return true;
}

function matchesRequirement(req: LabelSelectorRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return has && values.includes(labels[req.key]);
    case 'NotIn':
      return !has || !values.includes(labels[req.key]);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** Labels of an object's `metadata.labels`, keeping only string values. */
export function labelsOf(metadata: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (metadata === null || typeof metadata !== 'object') return out;
  const labels = (metadata as { labels?: unknown }).labels;
  if (labels === null || typeof labels !== 'object') return out;
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

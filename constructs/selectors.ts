/**
 * Label selectors at synth time: syntax checks (the API server would reject the webhook
 * configuration otherwise), "matches nothing by construction" detection, negation of a simple
 * selector (to fold `exclude` into the webhook's selector) and conjunction. Pure functions.
 */
import type { LabelSelector, LabelSelectorRequirement } from '../runtime/bundle';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Why a label key is invalid, or undefined. */
export function checkLabelKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key "${key}" has an invalid prefix (a lowercase DNS subdomain is required)`;
  }
  if (!NAME.test(name)) return `label key "${key}" is invalid (name part: 1-63 alphanumerics, '-', '_', '.')`;
  return undefined;
}

export function checkLabelValue(value: string): string | undefined {
  return VALUE.test(value) ? undefined : `label value "${value}" is invalid (at most 63 alphanumerics, '-', '_', '.')`;
}

/** Syntax problems of a selector, each naming where (`what`) it sits. */
export function checkSelector(selector: LabelSelector, what: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    const e = checkLabelKey(k) ?? checkLabelValue(v);
    if (e !== undefined) out.push(`${what}.matchLabels: ${e}`);
  }
  for (const r of selector.matchExpressions ?? []) {
    const e = checkLabelKey(r.key);
    if (e !== undefined) out.push(`${what}.matchExpressions: ${e}`);
    const values = r.values ?? [];
    if ((r.operator === 'In' || r.operator === 'NotIn') && values.length === 0) {
      out.push(`${what}.matchExpressions: operator ${r.operator} on "${r.key}" needs at least one value`);
    }
    if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && values.length > 0) {
      out.push(`${what}.matchExpressions: operator ${r.operator} on "${r.key}" takes no values`);
    }
    for (const v of values) {
      const ve = checkLabelValue(v);
      if (ve !== undefined) out.push(`${what}.matchExpressions: ${ve}`);
    }
  }
  return out;
}

interface KeyConstraint {
  /** Allowed values (undefined = any value). */
  oneOf?: Set<string>;
  notIn: Set<string>;
  mustExist: boolean;
  mustNotExist: boolean;
}

/** Why no label set can satisfy the selector, or undefined when some can. */
export function unsatisfiableReason(selector: LabelSelector): string | undefined {
  const keys = new Map<string, KeyConstraint>();
  const get = (k: string): KeyConstraint => {
    let c = keys.get(k);
    if (c === undefined) {
      c = { notIn: new Set(), mustExist: false, mustNotExist: false };
      keys.set(k, c);
    }
    return c;
  };
  const restrict = (c: KeyConstraint, values: readonly string[]): void => {
    const next = new Set(values);
    c.oneOf = c.oneOf === undefined ? next : new Set([...c.oneOf].filter((v) => next.has(v)));
    c.mustExist = true;
  };
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) restrict(get(k), [v]);
  for (const r of selector.matchExpressions ?? []) {
    const c = get(r.key);
    if (r.operator === 'In') restrict(c, r.values ?? []);
    else if (r.operator === 'NotIn') for (const v of r.values ?? []) c.notIn.add(v);
    else if (r.operator === 'Exists') c.mustExist = true;
    else c.mustNotExist = true;
  }
  for (const [k, c] of [...keys.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (c.mustExist && c.mustNotExist) return `label "${k}" is required to exist and to be absent`;
    if (c.oneOf !== undefined) {
      const left = [...c.oneOf].filter((v) => !c.notIn.has(v));
      if (left.length === 0) return `no value of label "${k}" satisfies every requirement on it`;
    }
  }
  return undefined;
}

/**
 * The selector matching exactly what `selector` does not match, when a label selector can express
 * it (one requirement); otherwise an error text. An empty selector (matches everything) has no
 * useful negation either.
 */
export function negateSelector(selector: LabelSelector): LabelSelector | string {
  const reqs: LabelSelectorRequirement[] = [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, v]) => ({ key, operator: 'In' as const, values: [v] })),
    ...(selector.matchExpressions ?? []),
  ];
  if (reqs.length === 0) return 'an empty selector matches everything, so excluding it would exclude everything';
  if (reqs.length > 1) {
    return 'a selector with several requirements cannot be negated into one label selector (its negation is an OR)';
  }
  const r = reqs[0];
  const flip = { In: 'NotIn', NotIn: 'In', Exists: 'DoesNotExist', DoesNotExist: 'Exists' } as const;
  const out: LabelSelectorRequirement = { key: r.key, operator: flip[r.operator] };
  if (r.values !== undefined && r.values.length > 0) out.values = [...r.values];
  return { matchExpressions: [out] };
}

/** Conjunction of selectors, normalized (sorted, de-duplicated) so equal meanings compare equal. */
export function andSelectors(...selectors: ReadonlyArray<LabelSelector | undefined>): LabelSelector {
  const labels = new Map<string, string>();
  const exprs: LabelSelectorRequirement[] = [];
  for (const s of selectors) {
    if (s === undefined) continue;
    for (const [k, v] of Object.entries(s.matchLabels ?? {})) {
      const prev = labels.get(k);
      if (prev === undefined) labels.set(k, v);
      else if (prev !== v) exprs.push({ key: k, operator: 'In', values: [v] });
    }
    exprs.push(...(s.matchExpressions ?? []));
  }
  return normalizeSelector({
    matchLabels: labels.size === 0 ? undefined : Object.fromEntries(labels),
    matchExpressions: exprs.length === 0 ? undefined : exprs,
  });
}

/**
 * Equal meanings get equal forms: a single-value `In` becomes a matchLabels entry, keys and values
 * are sorted and de-duplicated, NotIn requirements on one key are merged.
 */
export function normalizeSelector(selector: LabelSelector): LabelSelector {
  const out: LabelSelector = {};
  const labelMap = new Map(Object.entries(selector.matchLabels ?? {}));
  const exprs: LabelSelectorRequirement[] = [];
  for (const r of selector.matchExpressions ?? []) {
    const single = r.operator === 'In' && r.values !== undefined && new Set(r.values).size === 1 ? r.values[0] : undefined;
    if (single !== undefined && (!labelMap.has(r.key) || labelMap.get(r.key) === single)) labelMap.set(r.key, single);
    else exprs.push(r);
  }
  const labels = [...labelMap.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (labels.length > 0) out.matchLabels = Object.fromEntries(labels);
  const notIn = new Map<string, Set<string>>();
  const rest = new Map<string, LabelSelectorRequirement>();
  for (const r of exprs) {
    if (r.operator === 'NotIn') {
      const set = notIn.get(r.key) ?? new Set<string>();
      for (const v of r.values ?? []) set.add(v);
      notIn.set(r.key, set);
      continue;
    }
    const values = r.values === undefined || r.values.length === 0 ? undefined : [...new Set(r.values)].sort();
    const req: LabelSelectorRequirement = values === undefined ? { key: r.key, operator: r.operator } : { key: r.key, operator: r.operator, values };
    rest.set(JSON.stringify([req.key, req.operator, req.values ?? []]), req);
  }
  for (const [key, set] of notIn) {
    const req: LabelSelectorRequirement = { key, operator: 'NotIn', values: [...set].sort() };
    rest.set(JSON.stringify([key, 'NotIn', req.values]), req);
  }
  const sorted = [...rest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
  if (sorted.length > 0) out.matchExpressions = sorted;
  return out;
}

export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return (
    selector === undefined ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
  );
}

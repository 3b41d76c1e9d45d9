/**
 * From the bundle's policies to its webhook entries: one entry per (type, failurePolicy,
 * timeoutSeconds, namespaceSelector, objectSelector), each with a stable name and path derived from
 * that key (adding a policy elsewhere never renames an entry), and rules for exactly the resources
 * its policies evaluate. Pure: the same policies always give the same webhooks.
 */
import { createHash } from 'node:crypto';
import {
  canonicalJson,
  MUTATING_RULE_TYPES,
  type Exclude,
  type LabelSelector,
  type Match,
  type Operation,
  type Policy,
  type Rule,
  type Target,
  type Webhook,
  type WebhookRule,
} from '../runtime/bundle';
import { andSelectors, isEmptySelector, NAMESPACE_NAME_LABEL, negateSelector, normalizeSelector, unsatisfiableReason } from './selectors';

export const WEBHOOK_DOMAIN = 'portcullis.dev';

function isPod(target: Target): boolean {
  return target.kind === 'Pod' && target.subresource === undefined;
}

/**
 * Does the rule run in the mutating webhook for its target? (defaults; digest pinning — on Pods,
 * and on controllers only when the author opted in with `pinControllers`)
 */
export function ruleMutates(rule: Rule): boolean {
  if (MUTATING_RULE_TYPES.includes(rule.type)) return true;
  return rule.type === 'verifyImages' && rule.mutateDigest && rule.target.subresource === undefined;
}

/** Does the rule run in the validating webhook? (everything but the pure defaulters) */
export function ruleValidates(rule: Rule): boolean {
  return !MUTATING_RULE_TYPES.includes(rule.type);
}

/** Mutation order the design fixes: resource defaults, then seccomp defaults, then digest pinning. */
function mutationRank(rule: Rule): number {
  return rule.type === 'defaultResources' ? 0 : rule.type === 'defaultSeccomp' ? 1 : 2;
}

export interface WebhookSelectors {
  namespaceSelector: LabelSelector;
  objectSelector?: LabelSelector;
}

/**
 * The selectors the API server evaluates for a policy: match selectors AND the negated exclude
 * selectors, plus the namespace lists as `kubernetes.io/metadata.name` In/NotIn, always excluding
 * `never` (system namespaces and the runtime's). Returns an error text if the result matches nothing
 * or an exclude selector cannot be negated.
 */
export function webhookSelectors(match: Match, exclude: Exclude | undefined, never: readonly string[]): WebhookSelectors | string {
  const nsParts: LabelSelector[] = [];
  const excludedNs = [...new Set([...never, ...(exclude?.namespaces ?? [])])].sort();
  nsParts.push({ matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: excludedNs }] });
  if (match.namespaces !== undefined) {
    const left = [...new Set(match.namespaces)].filter((n) => !excludedNs.includes(n)).sort();
    if (left.length === 0) return 'match.namespaces lists only excluded namespaces';
    nsParts.push({ matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: left }] });
  }
  if (match.namespaceSelector !== undefined) nsParts.push(match.namespaceSelector);
  if (exclude?.namespaceSelector !== undefined) {
    const neg = negateSelector(exclude.namespaceSelector);
    if (typeof neg === 'string') return `exclude.namespaceSelector: ${neg}`;
    nsParts.push(neg);
  }
  const objParts: LabelSelector[] = [];
  if (match.objectSelector !== undefined) objParts.push(match.objectSelector);
  if (exclude?.objectSelector !== undefined) {
    const neg = negateSelector(exclude.objectSelector);
    if (typeof neg === 'string') return `exclude.objectSelector: ${neg}`;
    objParts.push(neg);
  }
  const namespaceSelector = andSelectors(...nsParts);
  const nsWhy = unsatisfiableReason(namespaceSelector);
  if (nsWhy !== undefined) return `the namespace selector (match AND NOT exclude) matches nothing: ${nsWhy}`;
  const out: WebhookSelectors = { namespaceSelector };
  if (objParts.length > 0) {
    const objectSelector = andSelectors(...objParts);
    const objWhy = unsatisfiableReason(objectSelector);
    if (objWhy !== undefined) return `the object selector (match AND NOT exclude) matches nothing: ${objWhy}`;
    if (!isEmptySelector(objectSelector)) out.objectSelector = objectSelector;
  }
  return out;
}

interface Group {
  type: Webhook['type'];
  failurePolicy: Policy['failurePolicy'];
  timeoutSeconds: number;
  selectors: WebhookSelectors;
  policies: Policy[];
}

/** Build the webhook entries. Throws if a policy's selectors cannot be expressed (synth validates that first). */
export function buildWebhooks(policies: readonly Policy[], never: readonly string[]): Webhook[] {
  const defaultNs = normalizeSelector({ matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'NotIn', values: [...never] }] });
  const groups = new Map<string, Group>();
  for (const policy of policies) {
    const selectors = webhookSelectors(policy.match, policy.exclude, never);
    if (typeof selectors === 'string') throw new Error(`policy ${policy.name}: ${selectors}`);
    for (const type of ['mutating', 'validating'] as const) {
      const wanted = type === 'mutating' ? ruleMutates : ruleValidates;
      if (!policy.rules.some(wanted)) continue;
      const key = canonicalJson([type, policy.failurePolicy, policy.timeoutSeconds, selectors]);
      let g = groups.get(key);
      if (g === undefined) {
        g = { type, failurePolicy: policy.failurePolicy, timeoutSeconds: policy.timeoutSeconds, selectors, policies: [] };
        groups.set(key, g);
      }
      g.policies.push(policy);
    }
  }
  const webhooks = [...groups.values()].map((g) => toWebhook(g, defaultNs));
  const pins = (w: Webhook): number => (w.type === 'mutating' && policiesPin(w, policies) ? 1 : 0);
  return webhooks.sort((a, b) => {
    if (a.type !== b.type) return a.type === 'mutating' ? -1 : 1;
    const d = pins(a) - pins(b);
    if (d !== 0) return d;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

function policiesPin(w: Webhook, policies: readonly Policy[]): boolean {
  return policies.some((p) => w.policies.includes(p.name) && p.rules.some((r) => r.type === 'verifyImages' && ruleMutates(r)));
}

function toWebhook(g: Group, defaultNs: LabelSelector): Webhook {
  const verb = g.type === 'mutating' ? 'mutate' : 'validate';
  const custom = canonicalJson(g.selectors.namespaceSelector) !== canonicalJson(defaultNs) || g.selectors.objectSelector !== undefined;
  const suffix = custom ? `-${createHash('sha256').update(canonicalJson(g.selectors)).digest('hex').slice(0, 8)}` : '';
  const id = `${g.failurePolicy.toLowerCase()}-${g.timeoutSeconds}s${suffix}`;
  const wanted = g.type === 'mutating' ? ruleMutates : ruleValidates;
  const ordered =
    g.type === 'mutating'
      ? [...g.policies].sort((a, b) => minRank(a) - minRank(b))
      : g.policies;
  const webhook: Webhook = {
    name: `${verb}-${id}.${WEBHOOK_DOMAIN}`,
    type: g.type,
    path: `/${verb}/${id}`,
    failurePolicy: g.failurePolicy,
    timeoutSeconds: g.timeoutSeconds,
    namespaceSelector: g.selectors.namespaceSelector,
    rules: webhookRules(g.policies, wanted, g.type === 'validating'),
    policies: ordered.map((p) => p.name),
  };
  if (g.selectors.objectSelector !== undefined) webhook.objectSelector = g.selectors.objectSelector;
  return webhook;
}

function minRank(p: Policy): number {
  return Math.min(...p.rules.filter(ruleMutates).map(mutationRank));
}

/** Merge (group, version, resource, operations) tuples into the fewest rules, sorted. */
function webhookRules(policies: readonly Policy[], wanted: (r: Rule) => boolean, withEphemeral: boolean): WebhookRule[] {
  const byKey = new Map<string, { group: string; version: string; operations: Operation[]; resources: Set<string> }>();
  const add = (group: string, version: string, resource: string, operations: readonly Operation[]): void => {
    const ops = (['CREATE', 'UPDATE'] as const).filter((o) => operations.includes(o));
    const key = canonicalJson([group, version, ops]);
    let e = byKey.get(key);
    if (e === undefined) {
      e = { group, version, operations: [...ops], resources: new Set() };
      byKey.set(key, e);
    }
    e.resources.add(resource);
  };
  for (const p of policies) {
    for (const r of p.rules.filter(wanted)) {
      const t = r.target;
      add(t.group, t.version, t.subresource === undefined ? t.resource : `${t.resource}/${t.subresource}`, p.match.operations);
      // `kubectl debug` adds containers through pods/ephemeralcontainers (an UPDATE); validate those too.
      if (withEphemeral && isPod(t)) add(t.group, t.version, `${t.resource}/ephemeralcontainers`, ['UPDATE']);
    }
  }
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, e]) => ({ apiGroups: [e.group], apiVersions: [e.version], resources: [...e.resources].sort(), operations: e.operations }));
}

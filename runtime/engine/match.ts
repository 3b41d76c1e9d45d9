/**
 * Which policies and rules apply to one admission request. Pure.
 *
 * - Operations: only CREATE and UPDATE are ever evaluated (DELETE and CONNECT never are), and only
 *   those the policy's `match.operations` lists.
 * - Kinds: the request's kind must be in `match.kinds` or in the policy's autogen `controllers`;
 *   a rule applies when its Target names the request's group, kind and subresource. The
 *   `pods/ephemeralcontainers` subresource (kubectl debug) is evaluated like a Pod: by rules whose
 *   target names that subresource, or — when the policy has none — by its Pod rules. Every other
 *   subresource (status, exec, binding, …) is never evaluated.
 * - Namespaces: kube-system, kube-node-lease, kube-public and the context's excluded namespaces
 *   (the runtime's own) never match; `match.namespaces` / `exclude.namespaces` take names or
 *   `*` globs.
 * - Label selectors: the object selector is evaluated on the object's labels (for UPDATE, old or
 *   new labels, as the API server does); the namespace selector only when the namespace's labels
 *   are known (CLIs). In admission the API server has already applied both via the webhook entry.
 */
import { ALWAYS_EXCLUDED_NAMESPACES, type LabelSelector, type Policy, type Rule, type Target } from '../bundle';
import { labelsOf, matchesLabelSelector } from './label-selector';
import { isRecord } from './pod-view';
import type { AdmissionInput, EvaluationContext } from './types';

export const EPHEMERAL_SUBRESOURCE = 'ephemeralcontainers';

export function isEvaluatedOperation(op: AdmissionInput['operation']): op is 'CREATE' | 'UPDATE' {
  return op === 'CREATE' || op === 'UPDATE';
}

/** `*` matches any run of characters, `?` one character; everything else is literal. */
export function matchesNameGlob(pattern: string, name: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === name;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

function inNamespaces(list: readonly string[] | undefined, namespace: string | undefined): boolean {
  if (list === undefined || namespace === undefined) return false;
  return list.some((p) => matchesNameGlob(p, namespace));
}

export function isExcludedNamespace(namespace: string | undefined, context: EvaluationContext): boolean {
  if (namespace === undefined) return false;
  if ((ALWAYS_EXCLUDED_NAMESPACES as readonly string[]).includes(namespace)) return true;
  return (context.excludedNamespaces ?? []).includes(namespace);
}

/** Object labels for selector checks; for UPDATE the API server accepts a match on old or new. */
function objectLabelSets(input: AdmissionInput): Record<string, string>[] {
  const sets = [labelsOf(isRecord(input.object) ? input.object.metadata : undefined)];
  if (input.operation === 'UPDATE' && isRecord(input.oldObject)) sets.push(labelsOf(input.oldObject.metadata));
  return sets;
}

function objectSelectorMatches(selector: LabelSelector, input: AdmissionInput): boolean {
  return objectLabelSets(input).some((labels) => matchesLabelSelector(selector, labels));
}

/** undefined when the namespace labels are unknown (admission: the API server decided). */
function namespaceSelectorMatches(selector: LabelSelector, input: AdmissionInput): boolean | undefined {
  if (input.namespaceLabels === undefined) return undefined;
  return matchesLabelSelector(selector, input.namespaceLabels);
}

/**
 * Per-policy lookups computed once per Policy object (a loaded bundle's policies never change; a
 * reload brings new objects, so nothing stale survives it): the kind names the policy matches, and
 * its rules by the request's group, kind and subresource, in bundle order.
 */
interface PolicyIndex {
  kindNames: ReadonlySet<string>;
  /** group → kind → subresource ('' for none) → rules; keyed by the request's own strings. */
  rulesByTarget: Map<string, Map<string, Map<string, readonly Rule[]>>>;
  /** Rule lists held in rulesByTarget (bounded: arbitrary kinds cannot grow it). */
  cached: number;
}

const policyIndexes = new WeakMap<Policy, PolicyIndex>();

function indexOf(policy: Policy): PolicyIndex {
  let index = policyIndexes.get(policy);
  if (index === undefined) {
    index = { kindNames: new Set([...policy.match.kinds, ...policy.controllers]), rulesByTarget: new Map(), cached: 0 };
    policyIndexes.set(policy, index);
  }
  return index;
}

function kindMatches(policy: Policy, input: AdmissionInput): boolean {
  const kind = input.kind.kind;
  const sub = input.subResource;
  const names = indexOf(policy).kindNames;
  if (names.has('*')) return true;
  if (names.has(kind)) return true;
  if (sub !== undefined && sub !== '') {
    return names.has(`${kind}/${sub}`) || names.has(`${input.resource.resource}/${sub}`);
  }
  return false;
}

/** Whether the policy's match/exclude select this request (rules are filtered separately). */
export function policyMatches(policy: Policy, input: AdmissionInput, context: EvaluationContext): boolean {
  if (!isEvaluatedOperation(input.operation)) return false;
  if (isExcludedNamespace(input.namespace, context)) return false;
  return policySelects(policy, input);
}

/**
 * policyMatches for a request already known to be evaluated at all (CREATE/UPDATE, not in an
 * excluded namespace): the evaluator checks those once per request, not once per policy.
 */
export function policySelects(policy: Policy, input: AdmissionInput): boolean {
  // A policy's operations are CREATE/UPDATE only, so DELETE and CONNECT never pass here either.
  if (!(policy.match.operations as readonly string[]).includes(input.operation)) return false;
  if (!kindMatches(policy, input)) return false;
  const m = policy.match;
  if (m.namespaces !== undefined && m.namespaces.length > 0 && !inNamespaces(m.namespaces, input.namespace)) return false;
  if (m.objectSelector !== undefined && !objectSelectorMatches(m.objectSelector, input)) return false;
  if (m.namespaceSelector !== undefined && namespaceSelectorMatches(m.namespaceSelector, input) === false) return false;
  const x = policy.exclude;
  if (x !== undefined) {
    if (inNamespaces(x.namespaces, input.namespace)) return false;
    if (x.objectSelector !== undefined && objectLabelSets(input).every((l) => matchesLabelSelector(x.objectSelector as LabelSelector, l))) {
      return false;
    }
    if (x.namespaceSelector !== undefined && namespaceSelectorMatches(x.namespaceSelector, input) === true) return false;
  }
  return true;
}

function targetIs(target: Target, input: AdmissionInput, subresource: string | undefined): boolean {
  return (
    target.group === input.kind.group &&
    target.kind === input.kind.kind &&
    (target.subresource ?? '') === (subresource ?? '')
  );
}

/** Is the request a kind of change Portcullis evaluates at all (the object itself or kubectl debug)? */
export function isEvaluatedSubresource(input: AdmissionInput): boolean {
  const sub = input.subResource ?? '';
  return sub === '' || (sub === EPHEMERAL_SUBRESOURCE && input.resource.resource === 'pods');
}

/** The rules of `policy` whose target is this request's resource, in bundle order. */
export function applicableRules(policy: Policy, input: AdmissionInput): Rule[] {
  return [...rulesFor(policy, input)];
}

/** As applicableRules, shared read-only from the policy's index (the evaluator's hot path). */
export function rulesFor(policy: Policy, input: AdmissionInput): readonly Rule[] {
  if (!isEvaluatedSubresource(input)) return [];
  const sub = input.subResource === '' ? undefined : input.subResource;
  const index = indexOf(policy);
  const { group, kind } = input.kind;
  let kinds = index.rulesByTarget.get(group);
  let subs = kinds?.get(kind);
  let rules = subs?.get(sub ?? '');
  if (rules === undefined) {
    rules = selectRules(policy, input, sub);
    if (index.cached >= 64) {
      index.rulesByTarget.clear();
      index.cached = 0;
      kinds = undefined;
      subs = undefined;
    }
    if (kinds === undefined) index.rulesByTarget.set(group, (kinds = new Map<string, Map<string, readonly Rule[]>>()));
    if (subs === undefined) kinds.set(kind, (subs = new Map<string, readonly Rule[]>()));
    subs.set(sub ?? '', rules);
    index.cached += 1;
  }
  return rules;
}

function selectRules(policy: Policy, input: AdmissionInput, sub: string | undefined): Rule[] {
  const exact = policy.rules.filter((r) => targetIs(r.target, input, sub));
  if (exact.length > 0 || sub !== EPHEMERAL_SUBRESOURCE) return exact;
  // kubectl debug: the object is the whole Pod; Pod rules apply when no rule names the subresource.
  return policy.rules.filter((r) => targetIs(r.target, input, undefined));
}

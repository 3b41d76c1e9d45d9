/**
 * The Pod-defaults relief (runtime/engine/pod-defaults-relief.ts) as CEL, for a rule whose findings
 * read what the defaults add (requireResources; podSecurity's seccompProfile_restricted through
 * reliefAppliesCel and seccompDefaultAddsCel): a controller is judged as its Pods will be after
 * the bundle's Pod defaults — the Enforce policies' Pod defaultResources rules, then their
 * defaultSeccomp rules, each when its policy certainly selects the template's Pods — provided the
 * rule's own policy backs the controller rule with its Pod rule (podsValidatedToo).
 *
 * In admission (what a ValidatingAdmissionPolicy sees) "certainly selects" is decided from the
 * request: the namespace's labels are unknown, so a defaults policy with a namespace selector never
 * relieves (the rule's own policy: its namespace selector is not looked at); a selector on labels
 * the controllers add to their Pods never relieves; otherwise the policy must match Pod CREATEs,
 * and its namespace globs and object selector (on the template's labels) decide, with its
 * exclusions. The namespaces the webhook never sees are outside every policy's matchConstraints.
 * Pure: CEL text only.
 */
import type { DefaultResourcesRule, DefaultSeccompRule, LabelSelector, Policy, Rule } from '../bundle';
import { celNameGlob, celString } from './cel-text';
import { celLabelSelector } from './compile';

/** Labels controllers put on the Pods they create (pod-defaults-relief.ts isControllerLabel). */
const CONTROLLER_LABELS = new Set(['pod-template-hash', 'controller-revision-hash', 'pod-template-generation', 'controller-uid', 'job-name']);
const CONTROLLER_LABEL_PREFIXES = ['batch.kubernetes.io/', 'statefulset.kubernetes.io/', 'apps.kubernetes.io/'];

function namesControllerLabels(selector: LabelSelector | undefined): boolean {
  if (selector === undefined) return false;
  const keys = [...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((r) => r.key)];
  return keys.some((k) => CONTROLLER_LABELS.has(k) || CONTROLLER_LABEL_PREFIXES.some((p) => k.startsWith(p)));
}

const TEMPLATE_LABELS = 'variables.meta.?labels.orValue({})';

/**
 * CEL bool: `policy` certainly selects the Pods of the admitted controller's template
 * (certainlySelects with the namespace's labels unknown; `ownPolicy`: namespaceKnown = true).
 */
export function selectsTemplatePods(policy: Policy, ownPolicy: boolean): string {
  const { match, exclude } = policy;
  if (namesControllerLabels(match.objectSelector) || namesControllerLabels(exclude?.objectSelector)) return 'false';
  if (!ownPolicy && (match.namespaceSelector !== undefined || exclude?.namespaceSelector !== undefined)) return 'false';
  if (!(match.operations as readonly string[]).includes('CREATE')) return 'false';
  const kinds = new Set([...match.kinds, ...policy.controllers]);
  if (!kinds.has('*') && !kinds.has('Pod')) return 'false';
  const conds: string[] = [];
  const globs = (list: readonly string[]): string => `(${list.map((p) => celNameGlob(p, 'request.namespace')).join(' || ')})`;
  if (match.namespaces !== undefined && match.namespaces.length > 0) conds.push(globs(match.namespaces));
  if (match.objectSelector !== undefined) conds.push(`(${celLabelSelector(match.objectSelector, TEMPLATE_LABELS)})`);
  if (exclude?.namespaces !== undefined && exclude.namespaces.length > 0) conds.push(`!${globs(exclude.namespaces)}`);
  if (exclude?.objectSelector !== undefined) conds.push(`!(${celLabelSelector(exclude.objectSelector, TEMPLATE_LABELS)})`);
  return conds.length === 0 ? 'true' : conds.join(' && ');
}

function isPodRule(rule: Rule): boolean {
  return rule.target.kind === 'Pod' && rule.target.subresource === undefined;
}

export interface PodDefaults {
  resources: { policy: Policy; rule: DefaultResourcesRule }[];
  seccomp: { policy: Policy; rule: DefaultSeccompRule }[];
}

/** The Enforce policies' Pod defaulting rules, in the engine's order (podDefaultsOf). */
export function podDefaultsOf(policies: readonly Policy[]): PodDefaults {
  const out: PodDefaults = { resources: [], seccomp: [] };
  for (const policy of policies) {
    if (policy.mode !== 'Enforce') continue;
    for (const rule of policy.rules) {
      if (!isPodRule(rule)) continue;
      if (rule.type === 'defaultResources') out.resources.push({ policy, rule });
    }
  }
  for (const policy of policies) {
    if (policy.mode !== 'Enforce') continue;
    for (const rule of policy.rules) if (isPodRule(rule) && rule.type === 'defaultSeccomp') out.seccomp.push({ policy, rule });
  }
  return out;
}

/**
 * CEL bool: defaultSeccomp adds a profile to the template (default-seccomp.ts): not a Windows pod,
 * no profile at pod level nor on any container, no legacy seccomp annotation.
 */
export function seccompAddsCel(): string {
  const annotations = 'variables.meta.?annotations.orValue({})';
  return (
    `variables.spec.?os.?name.orValue("") != "windows" && !variables.spec.?securityContext.?seccompProfile.hasValue() && ` +
    `!variables.containers.exists(sc, sc.?securityContext.?seccompProfile.hasValue()) && ` +
    `!${annotations}.exists(sk, sk == "seccomp.security.alpha.kubernetes.io/pod" || sk.startsWith("container.seccomp.security.alpha.kubernetes.io/"))`
  );
}

/**
 * CEL bool: the admitted object is a controller whose rule of `policy` (a Pod+controller rule of a
 * policy matching CREATE) is judged on its template as its Pods will be — podsValidatedToo: the
 * rule's own policy certainly selects the template's Pods.
 */
export function reliefAppliesCel(policy: Policy): string {
  return `variables.kind != "Pod" && (${selectsTemplatePods(policy, true)})`;
}

/**
 * CEL bool: one of the bundle's defaultSeccomp Pod defaults certainly selects the template's Pods
 * and adds its pod-level RuntimeDefault profile (seccompAddsCel: the template chose none); "false"
 * when no such default can select them. The first that selects adds it, the later ones see it set.
 */
export function seccompDefaultAddsCel(defaults: PodDefaults): string {
  const selects = defaults.seccomp.map(({ policy }) => selectsTemplatePods(policy, false)).filter((x) => x !== 'false');
  if (selects.length === 0) return 'false';
  if (selects.includes('true')) return seccompAddsCel();
  return `(${[...new Set(selects)].map((x) => `(${x})`).join(' || ')}) && ${seccompAddsCel()}`;
}

/**
 * CEL string: the relief note (pod-defaults-relief.ts reliefNote) for the policies whose defaults
 * changed the template, given per default (in order) its policy name and a CEL bool "it added
 * something"; "" when none did (then there is no relief at all).
 */
export function reliefNoteCel(entries: readonly { policy: string; added: string }[]): string {
  const parts = entries.map((e, i) => {
    const earlier = entries.slice(0, i).filter((x) => x.policy === e.policy);
    const first = earlier.length === 0 ? e.added : `${e.added} && !(${earlier.map((x) => `(${x.added})`).join(' || ')})`;
    return `(${first} ? [${celString(`"${e.policy}"`)}] : [])`;
  });
  if (parts.length === 0) return '""';
  const names = parts.join(' + ');
  return `(size(${names}) == 0 ? "" : " (judged as its Pods will be after the Pod defaults of " + (${names}).join(", ") + ")")`;
}

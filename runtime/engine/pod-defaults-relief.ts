/**
 * Controllers judged as their Pods will be. The defaulting families (defaultResources,
 * defaultSeccomp) mutate Pods, not controllers' pod templates (that is opt-in, because a template
 * rewritten at admission differs from Git forever and GitOps tools report drift). So a Deployment
 * without limits reaches the validating webhook without limits, although every Pod it creates will
 * get them. Validating a controller therefore judges its template as it will be after the Pod
 * defaults of the bundle: the same mutators, run on a copy of the template (no patch is emitted).
 *
 * What relieves (all must hold, otherwise the template is judged as written):
 * - the defaulting rule targets Pods (the Pod rule itself, not a subresource) and its policy is in
 *   Enforce mode: only what will certainly run counts, and the engine takes no Audit default as a
 *   promise about a Pod;
 * - that policy certainly matches the Pods of this template: a Pod CREATE in the controller's
 *   namespace, labelled with the template's labels, through the policy's own match/exclude. A
 *   namespace selector is only judged when the namespace's labels are known (CLIs); in admission
 *   they are not (the API server evaluates selectors per webhook, and the Pod's mutating webhook is
 *   not the one validating this controller), so a defaults policy with a namespace selector does
 *   not relieve there. An object selector that names a label controllers add to the Pods they
 *   create (`pod-template-hash`, `job-name`, `batch.kubernetes.io/…`, …) cannot be judged from the
 *   template and does not relieve either.
 * What is relieved: a validating rule on a controller that autogen expanded from a Pod rule of the
 * same policy, when that policy also matches the template's Pods (same checks). The Pod rule is
 * the backstop that makes relief sound: every Pod is still validated when it is created, after its
 * mutating webhooks ran. If the defaults webhook cannot answer (failurePolicy Ignore), the Pods are
 * created without defaults and are denied then; relief only means a controller is not denied for
 * what its Pods will certainly receive. A rule without that backstop (a policy that validates only
 * controllers) judges the template as written.
 * Digest pinning (verifyImages) is not applied here: it needs a registry, and pinning relief would
 * let a tag-only template pass requireDigest on the strength of a network answer. Pure.
 */
import type { LabelSelector, Policy, Rule, RuleType, Target } from '../bundle';
import { applyJsonPatchCopyOnWrite } from './json-patch';
import { policyMatches } from './match';
import { decodePointer, getPointer, isRecord, podView } from './pod-view';
import { RULE_FAMILIES } from './rules';
import type { AdmissionInput, EvaluationContext, JsonPatchOperation, Mutator, RuleInput } from './types';

const DEFAULTING: readonly RuleType[] = ['defaultResources', 'defaultSeccomp'];

/** Labels controllers put on the Pods they create, which a template does not show. */
const CONTROLLER_LABELS = new Set(['pod-template-hash', 'controller-revision-hash', 'pod-template-generation', 'controller-uid', 'job-name']);
const CONTROLLER_LABEL_PREFIXES = ['batch.kubernetes.io/', 'statefulset.kubernetes.io/', 'apps.kubernetes.io/'];

function isControllerLabel(key: string): boolean {
  return CONTROLLER_LABELS.has(key) || CONTROLLER_LABEL_PREFIXES.some((p) => key.startsWith(p));
}

function namesControllerLabels(selector: LabelSelector | undefined): boolean {
  if (selector === undefined) return false;
  return Object.keys(selector.matchLabels ?? {}).some(isControllerLabel) || (selector.matchExpressions ?? []).some((r) => isControllerLabel(r.key));
}

function isPodRule(rule: Rule): boolean {
  return rule.target.kind === 'Pod' && rule.target.subresource === undefined;
}

/** The Pods a controller's template creates, as the CREATE request the API server will see (for matching). */
function podsOfTemplate(input: AdmissionInput, target: Target): AdmissionInput | undefined {
  const spec = getPointer(input.object, target.podSpecPath);
  if (!isRecord(spec)) return undefined;
  const meta = getPointer(input.object, target.podMetadataPath);
  const metadata: Record<string, unknown> = isRecord(meta) ? { ...meta } : {};
  if (input.namespace !== undefined) metadata.namespace = input.namespace;
  const pods: AdmissionInput = {
    uid: input.uid,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    operation: 'CREATE',
    object: { apiVersion: 'v1', kind: 'Pod', metadata, spec },
  };
  if (input.namespace !== undefined) pods.namespace = input.namespace;
  if (input.namespaceLabels !== undefined) pods.namespaceLabels = input.namespaceLabels;
  return pods;
}

/**
 * Does `policy` certainly select these Pods? Its match/exclude through the engine's own matching,
 * except what cannot be known: namespace selectors while the namespace's labels are unknown (when
 * `namespaceKnown` is false) and object selectors on labels the controllers add.
 */
function certainlySelects(policy: Policy, pods: AdmissionInput, context: EvaluationContext, namespaceKnown: boolean): boolean {
  if (namesControllerLabels(policy.match.objectSelector) || namesControllerLabels(policy.exclude?.objectSelector)) return false;
  if (!namespaceKnown && pods.namespaceLabels === undefined) {
    if (policy.match.namespaceSelector !== undefined || policy.exclude?.namespaceSelector !== undefined) return false;
  }
  return policyMatches(policy, pods, context);
}

/**
 * Does the validating `rule` (on a controller) have its Pod rule as a backstop: the same policy has
 * the Pod rule it was expanded from and selects the template's Pods? The request's namespace
 * already passed this policy's webhook, and its Pods share that namespace and webhook entry.
 */
export function podsValidatedToo(policy: Policy, rule: Rule, pods: AdmissionInput, context: EvaluationContext): boolean {
  const from = rule.autogenFrom;
  if (from === undefined || isPodRule(rule)) return false;
  if (!policy.rules.some((r) => r.name === from && r.type === rule.type && isPodRule(r))) return false;
  return certainlySelects(policy, pods, context, true);
}

interface PodDefault {
  policy: Policy;
  rule: Rule;
}

/** The Enforce policies' Pod defaulting rules, in bundle order, resource defaults before seccomp. */
const defaultsOfPolicies = new WeakMap<readonly Policy[], readonly PodDefault[]>();

function podDefaultsOf(policies: readonly Policy[]): readonly PodDefault[] {
  let out = defaultsOfPolicies.get(policies);
  if (out === undefined) {
    const found: PodDefault[] = [];
    for (const type of DEFAULTING) {
      for (const policy of policies) {
        if (policy.mode !== 'Enforce') continue;
        for (const rule of policy.rules) if (rule.type === type && isPodRule(rule)) found.push({ policy, rule });
      }
    }
    out = found;
    defaultsOfPolicies.set(policies, out);
  }
  return out;
}

/** A Pod defaulting rule pointed at a controller's template (same settings), made once per pair. */
const retargeted = new WeakMap<Rule, WeakMap<Target, Rule>>();

function atTarget(rule: Rule, target: Target): Rule {
  let byTarget = retargeted.get(rule);
  if (byTarget === undefined) retargeted.set(rule, (byTarget = new WeakMap()));
  let r = byTarget.get(target);
  if (r === undefined) byTarget.set(target, (r = { ...rule, target }));
  return r;
}

export interface TemplateRelief {
  /** The admitted object with its pod template as its Pods will be after the Pod defaults. */
  object: unknown;
  /** JSON Pointers the defaults added (in the admitted object's coordinates). */
  pointers: string[];
  /** The policies whose defaults changed the template. */
  policies: string[];
  /** The Pods the template creates, as their CREATE request (podsOfTemplate), for the backstop check. */
  pods: AdmissionInput;
}

/**
 * The controller's template after the Pod defaults of `podDefaults` (the bundle's policies) that
 * will certainly apply to its Pods; undefined when they add nothing. A default that throws or
 * waits adds nothing here (the Pod's own admission reports it).
 */
export function templateAfterPodDefaults(
  input: AdmissionInput,
  target: Target,
  podDefaults: readonly Policy[],
  context: EvaluationContext,
): TemplateRelief | undefined {
  const defaults = podDefaultsOf(podDefaults);
  if (defaults.length === 0) return undefined;
  const pods = podsOfTemplate(input, target);
  if (pods === undefined) return undefined;
  let working = input.object;
  const own = new Set<object>();
  const pointers: string[] = [];
  const policies: string[] = [];
  for (const { policy, rule } of defaults) {
    if (!certainlySelects(policy, pods, context, false)) continue;
    const pod = podView(working, target);
    if (pod === undefined) return undefined;
    const mutateFn = RULE_FAMILIES[rule.type].mutate as Mutator | undefined;
    if (mutateFn === undefined) continue;
    const ruleInput: RuleInput = { policy, rule: atTarget(rule, target), pod, request: { ...input, object: working }, context };
    let ops: JsonPatchOperation[] | Promise<JsonPatchOperation[]>;
    try {
      ops = mutateFn(ruleInput);
      if (!Array.isArray(ops) || ops.length === 0) continue;
      working = applyJsonPatchCopyOnWrite(working, ops, own);
    } catch {
      continue;
    }
    for (const op of ops) pointers.push(op.path);
    if (!policies.includes(policy.name)) policies.push(policy.name);
  }
  return pointers.length === 0 ? undefined : { object: working, pointers, policies, pods };
}

/** `/spec/template/spec/containers/0/resources` → `spec.template.spec.containers[0].resources`. */
function pointerField(pointer: string): string {
  let out = '';
  for (const token of decodePointer(pointer)) out += /^(0|[1-9][0-9]*)$/.test(token) ? `[${token}]` : `${out === '' ? '' : '.'}${token}`;
  return out;
}

/**
 * For a finding on a relieved template: the note that says a value it names came from the Pod
 * defaults (a developer would not find it in the manifest), or '' when the finding is about what
 * the author wrote.
 */
export function reliefNote(field: string, relief: TemplateRelief): string {
  const touched = relief.pointers.some((p) => {
    const f = pointerField(p);
    return field === f || field.startsWith(`${f}.`) || f.startsWith(`${field}.`);
  });
  if (!touched) return '';
  return ` (judged as its Pods will be after the Pod defaults of ${relief.policies.map((p) => `"${p}"`).join(', ')})`;
}

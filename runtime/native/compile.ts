/**
 * The native compiler: a bundle policy's validating rules → one `admissionregistration.k8s.io/v1`
 * ValidatingAdmissionPolicy + ValidatingAdmissionPolicyBinding whose CEL decides exactly what the
 * engine (runtime/engine) decides for the same admitted object: the same verdict, the same violated
 * rules and the same one-line messages (`violationLine` of runtime/server/violation-text.ts). A rule
 * that CEL cannot express exactly is not compiled: its result is `notExpressible` with the reason,
 * and it stays on the webhook. Pure functions returning plain objects (no cdk8s here).
 *
 * Shape of the generated policy (Kubernetes 1.30+, CEL environment listed in cel-functions.ts):
 * - `matchConstraints`: the resources of the rules' targets (Pods, `pods/ephemeralcontainers` for
 *   `kubectl debug`, and the autogen controllers), the policy's operations, and the same namespace
 *   and object selectors the webhook entry carries (given by the caller: constructs/webhook-groups.ts);
 * - `variables`: where the pod spec and pod metadata are in this kind of object (the Target
 *   table), the containers in the engine's order (initContainers, containers, ephemeralContainers),
 *   the UPDATE relief of update-relief.ts, then one `list<string>` per rule: its violation lines
 *   after the policy's exemptions;
 * - one validation per rule: `size(lines) == 0`; `messageExpression` joins the rule's lines with
 *   ` | ` (one line per finding: messages must not contain line breaks), cut before the API
 *   server's 5 KiB message limit (message-bound.ts);
 * - the binding: Enforce → `[Deny]`, Audit → `[Warn, Audit]`; failurePolicy from the policy.
 *
 * Input domain: objects the API server admits to validating admission, i.e. after its own schema
 * validation (validating admission runs after it): fields have their schema types, containers have
 * names, label values are valid label values, hostPath paths contain no `..`.
 */
import type { Exemption, LabelSelector, Mode, Policy, Rule, RuleType, Target } from '../bundle';
import { celNameGlob, celString, celStringList } from './cel-text';
import { withinLimits } from './cost';
import { expiringCarveOut } from './carve-out';
import { boundedMessageCel, fallbackMessage, joinedLinesCel } from './message-bound';
import { FAMILY_COMPILERS, type FamilyCompiler, type FamilyContext } from './families';

export type EnforcementTarget = 'webhook' | 'native' | 'hybrid';

/** One rule (by the name its author wrote: autogen copies are one rule) and where it can run. */
export type NativeRuleResult =
  | {
      kind: 'compiled';
      policy: string;
      rule: string;
      ruleType: RuleType;
      /** Namespaces where the webhook keeps the rule: those of its expiring exemptions (carve-out.ts). */
      webhookNamespaces?: string[];
    }
  | { kind: 'notExpressible'; policy: string; rule: string; ruleType: RuleType; reason: string };

export interface NativeSelectors {
  namespaceSelector: LabelSelector;
  objectSelector?: LabelSelector;
}

export interface CompileOptions {
  /** The selectors of the policy's webhook entry (constructs/webhook-groups.ts `webhookSelectors`). */
  selectors: NativeSelectors;
  /** The family compilers (default FAMILY_COMPILERS; tests compile one Pod Security control alone). */
  families?: Partial<Record<RuleType, FamilyCompiler>>;
  /**
   * The bundle's policies, whose Enforce Pod defaults relieve controllers (the webhook's
   * `podDefaults`, runtime/engine/pod-defaults-relief.ts); families whose findings read what the
   * defaults add (requireResources) refuse controller rules without them.
   */
  podDefaults?: readonly Policy[];
}

export interface NativeObjects {
  policy: Record<string, unknown>;
  binding: Record<string, unknown>;
}

export interface CompiledPolicy {
  policy: string;
  /** Every validating rule of the policy, compiled or not. */
  results: NativeRuleResult[];
  /** Present when at least one rule compiled. */
  objects?: NativeObjects;
}

export const NATIVE_NAME_PREFIX = 'portcullis-';

/** Validation actions of the binding: what the webhook does with a finding in that mode. */
export function validationActions(mode: Mode): string[] {
  return mode === 'Enforce' ? ['Deny'] : ['Warn', 'Audit'];
}

/** Two optionals are equal: both absent, or both present with equal (deep) values. */
function optionalEquals(a: string, b: string): string {
  return `(${a}.hasValue() == ${b}.hasValue() && (!${a}.hasValue() || ${a}.value() == ${b}.value()))`;
}

/** A JSON Pointer (`/spec/template/spec`) as a CEL optional chain over `root`. */
function optionalPath(root: string, pointer: string): string {
  if (pointer === '') return `optional.of(${root})`;
  const keys = pointer.slice(1).split('/');
  return `${root}${keys.map((k) => `.?${k}`).join('')}`;
}

function fieldOf(pointer: string): string {
  return pointer
    .slice(1)
    .split('/')
    .filter((t) => t !== '')
    .join('.');
}

/** A CEL expression choosing, by the request's kind, between per-target expressions. */
export function byKind(targets: readonly Target[], make: (t: Target) => string): string {
  const groups = new Map<string, string[]>();
  for (const t of targets) {
    const e = make(t);
    const kinds = groups.get(e) ?? [];
    if (!kinds.includes(t.kind)) kinds.push(t.kind);
    groups.set(e, kinds);
  }
  const entries = [...groups.entries()];
  let out = entries[entries.length - 1][0];
  for (let i = entries.length - 2; i >= 0; i -= 1) {
    const [e, kinds] = entries[i];
    const test = kinds.length === 1 ? `variables.kind == ${celString(kinds[0])}` : `variables.kind in ${celStringList(kinds)}`;
    out = `(${test} ? ${e} : ${out})`;
  }
  return out;
}

/** A metav1.LabelSelector as CEL over the label map `labels`. */
export function celLabelSelector(selector: LabelSelector, labels: string): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) parts.push(`(${celString(k)} in ${labels} && ${labels}[${celString(k)}] == ${celString(v)})`);
  for (const r of selector.matchExpressions ?? []) {
    const k = celString(r.key);
    const values = celStringList(r.values ?? []);
    if (r.operator === 'In') parts.push(`(${k} in ${labels} && ${labels}[${k}] in ${values})`);
    else if (r.operator === 'NotIn') parts.push(`(!(${k} in ${labels}) || !(${labels}[${k}] in ${values}))`);
    else if (r.operator === 'Exists') parts.push(`(${k} in ${labels})`);
    else parts.push(`!(${k} in ${labels})`);
  }
  return parts.length === 0 ? 'true' : parts.join(' && ');
}

/** Can this exemption relieve findings of `control`? */
function touches(exemption: Exemption, control: string): boolean {
  return exemption.controls.length === 0 || exemption.controls.some((c) => c.control === control);
}

/** A finding as the exemption compiler sees it (runtime/engine/exemptions.ts `entryEffect`). */
export interface ExemptionFinding {
  /** CEL string: the finding's single value (exemptionCel only). */
  value?: string;
  /** CEL string: the container's image; undefined for a pod-level finding. */
  image?: string;
  /** The exempt field, the field relative to the container, and the finding's field, per target. */
  fields: (t: Target) => (string | undefined)[];
  /**
   * CEL bool: a candidate field with parts known only at admission (indexes of containers, ports,
   * volumes) equals `field`; 'false' when none can. Asked only when `fields` does not include it.
   */
  fieldCel?: (field: string, t: Target) => string;
  /** CEL bool: the image matches one of the globs (families that test images only). */
  imageGlobs?: (globs: readonly string[]) => string | { reason: string };
}

/**
 * One way an exemption of the policy relieves a finding, in the engine's order (exemptions, then
 * their control entries): `when` (CEL bool: in scope and the entry applies) relieves the whole
 * finding, or with `values` only those of its values.
 */
export interface ExemptionTerm {
  when: string;
  values?: readonly string[];
}

/** The scope of an exemption (namespaces, objectSelector) as CEL conditions ([] when unscoped). */
function exemptionScope(e: Exemption): string[] {
  const scope: string[] = [];
  if (e.namespaces !== undefined && e.namespaces.length > 0) scope.push(`(${e.namespaces.map((p) => celNameGlob(p, 'request.namespace')).join(' || ')})`);
  if (e.objectSelector !== undefined) scope.push(`(${celLabelSelector(e.objectSelector, 'variables.objectLabels')})`);
  return scope;
}

/** CEL bool: the finding's field candidates include `field`, by target; undefined when none can. */
function fieldCondition(field: string, finding: ExemptionFinding, targets: readonly Target[]): string | undefined {
  const conds = targets.map((t) => (finding.fields(t).includes(field) ? 'true' : (finding.fieldCel?.(field, t) ?? 'false')));
  if (conds.every((c) => c === 'false')) return undefined;
  if (conds.every((c) => c === 'true')) return 'true';
  if (conds.every((c) => c === 'true' || c === 'false')) return `variables.kind in ${celStringList(targets.filter((_, i) => conds[i] === 'true').map((t) => t.kind))}`;
  return byKind(targets, (t) => conds[targets.indexOf(t)]);
}

/**
 * The exemption terms of the policy for one finding of `control` (runtime/engine/exemptions.ts),
 * or a reason why they cannot be expressed: an exemption that expires (no clock in CEL), or one
 * narrowing by image where the family cannot test images. A namespaceSelector exemption never
 * applies in admission (the engine does not know the namespace's labels there): no term.
 */
export function exemptionTerms(policy: Policy, control: string, finding: ExemptionFinding, targets: readonly Target[]): ExemptionTerm[] | { reason: string } {
  const terms: ExemptionTerm[] = [];
  for (const e of policy.exemptions) {
    if (!touches(e, control)) continue;
    if (e.expiresAt !== undefined) {
      return {
        reason: `exemption "${e.name}" expires at ${e.expiresAt}: CEL in the API server has no clock, so a ValidatingAdmissionPolicy would keep relieving after the webhook stops`,
      };
    }
    if (e.namespaceSelector !== undefined) continue;
    const scope = exemptionScope(e);
    if (e.controls.length === 0) {
      terms.push({ when: scope.length === 0 ? 'true' : scope.join(' && ') });
      continue;
    }
    for (const entry of e.controls) {
      if (entry.control !== control) continue;
      const conds = [...scope];
      if (entry.images !== undefined && entry.images.length > 0) {
        if (finding.image === undefined) continue;
        if (finding.imageGlobs === undefined) return { reason: `exemption "${e.name}" narrows by image, which this family cannot test in CEL` };
        const g = finding.imageGlobs(entry.images);
        if (typeof g !== 'string') return g;
        conds.push(`(${g})`);
      }
      if (entry.field !== undefined) {
        const f = fieldCondition(entry.field, finding, targets);
        if (f === undefined) continue;
        if (f !== 'true') conds.push(`(${f})`);
      }
      if (entry.values !== undefined && entry.values.length === 0) continue;
      const when = conds.length === 0 ? 'true' : conds.join(' && ');
      terms.push(entry.values === undefined ? { when } : { when, values: entry.values });
    }
  }
  return terms;
}

/** CEL bool, "one of the terms relieves the single-valued finding whose value is `value`". */
export function singleValueRelief(terms: readonly ExemptionTerm[], value: string | undefined): string {
  const alternatives: string[] = [];
  for (const t of terms) {
    if (t.values !== undefined) {
      // A finding without values is never relieved by an entry listing values.
      if (value === undefined) continue;
      const inValues = `${value} in ${celStringList(t.values)}`;
      alternatives.push(t.when === 'true' ? inValues : `${t.when} && ${inValues}`);
    } else alternatives.push(t.when);
  }
  if (alternatives.length === 0) return 'false';
  if (alternatives.includes('true')) return 'true';
  return alternatives.map((a) => `(${a})`).join(' || ');
}

/**
 * CEL for "an exemption of the policy relieves this finding" for a finding with one offending
 * value (every family but Pod Security reports those: no partial relief), or a reason why that
 * cannot be expressed.
 */
export function exemptionCel(policy: Policy, control: string, finding: ExemptionFinding & { value: string }, targets: readonly Target[]): string | { reason: string } {
  const terms = exemptionTerms(policy, control, finding, targets);
  if (!Array.isArray(terms)) return terms;
  return singleValueRelief(terms, finding.value);
}

/** Everything but name/target/autogenFrom: autogen copies of one rule must agree on it. */
function ruleBody(rule: Rule): string {
  const { name: _n, target: _t, autogenFrom: _a, ...rest } = rule;
  return JSON.stringify(rest);
}

interface RuleGroup {
  name: string;
  type: RuleType;
  rules: Rule[];
}

function groupRules(policy: Policy): RuleGroup[] {
  const groups = new Map<string, RuleGroup>();
  for (const rule of policy.rules) {
    const name = rule.autogenFrom ?? rule.name;
    let g = groups.get(name);
    if (g === undefined) {
      g = { name, type: rule.type, rules: [] };
      groups.set(name, g);
    }
    g.rules.push(rule);
  }
  return [...groups.values()];
}

/** Rules that validate (mutating defaulters never reach a ValidatingAdmissionPolicy). */
function validates(type: RuleType): boolean {
  return type !== 'defaultResources' && type !== 'defaultSeccomp';
}

function variableName(index: number, rule: string): string {
  return `rule${index}_${rule.replace(/[^A-Za-z0-9]/g, '_')}`.slice(0, 63);
}

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/** Compile one bundle policy (see the module documentation). */
export function compilePolicy(policy: Policy, options: CompileOptions): CompiledPolicy {
  const results: NativeRuleResult[] = [];
  const ruleVariables: { name: string; expression: string }[] = [];
  const validations: Record<string, unknown>[] = [];
  const compiledTargets: Target[] = [];
  const groups = groupRules(policy).filter((g) => validates(g.type));
  groups.forEach((g, index) => {
    const refuse = (reason: string): void => {
      results.push({ kind: 'notExpressible', policy: policy.name, rule: g.name, ruleType: g.type, reason });
    };
    const compiler = (options.families ?? FAMILY_COMPILERS)[g.type];
    if (compiler === undefined) return refuse(NOT_COMPILED_FAMILIES[g.type] ?? `the ${g.type} family is not compiled to CEL in this version`);
    if (g.rules.some((r) => r.target.subresource !== undefined)) return refuse('a rule targeting a subresource is not generated by autogen and is not compiled');
    if (new Set(g.rules.map(ruleBody)).size > 1) return refuse('its autogen copies differ');
    const targets = g.rules.map((r) => r.target);
    // Expiring exemptions: the rule's namespaces that they cover stay on the webhook (carve-out.ts).
    const carve = expiringCarveOut(policy, g.rules[0]);
    if (carve !== undefined && 'reason' in carve) return refuse(carve.reason);
    const rulePolicy = carve?.policy ?? policy;
    const ctx: FamilyContext & { podDefaults?: readonly Policy[] } = {
      ...(options.podDefaults !== undefined ? { podDefaults: options.podDefaults } : {}),
      policy: rulePolicy,
      ruleName: g.name,
      targets,
      exemption: (control, finding) => exemptionCel(rulePolicy, control, finding, targets),
      exemptionTerms: (control, finding) => exemptionTerms(rulePolicy, control, finding, targets),
    };
    const lines = compiler(g.rules[0], ctx);
    if (typeof lines !== 'string') return refuse(lines.reason);
    const kinds = targets.map((t) => t.kind);
    const policyKinds = [...new Set(policy.rules.map((r) => r.target.kind))];
    const applies = kinds.length === policyKinds.length ? '' : `!(variables.kind in ${celStringList(kinds)}) || `;
    const unchanged = g.type === 'requireLabels' ? 'variables.unchangedWithLabels' : 'variables.unchanged';
    const name = variableName(index, g.name);
    const carved = carve === undefined ? '' : `request.namespace in ${celStringList(carve.namespaces)} || `;
    ruleVariables.push({ name, expression: `${applies}${carved}${unchanged} || !variables.podSpec.hasValue() ? [] : ${lines}` });
    // The message in its own variable: evaluated only when the rule fails, once, under its own per-call cost limit.
    const message = `${name.slice(0, 55)}_message`;
    ruleVariables.push({ name: message, expression: joinedLinesCel(`variables.${name}`) });
    validations.push({
      expression: `size(variables.${name}) == 0`,
      message: fallbackMessage(policy.name, g.name),
      messageExpression: boundedMessageCel(`variables.${message}`),
      reason: 'Forbidden',
    });
    results.push({ kind: 'compiled', policy: policy.name, rule: g.name, ruleType: g.type, ...(carve !== undefined ? { webhookNamespaces: carve.namespaces } : {}) });
    for (const t of targets) if (!compiledTargets.some((c) => c.kind === t.kind)) compiledTargets.push(t);
  });
  if (ruleVariables.length === 0) return { policy: policy.name, results };
  const name = `${NATIVE_NAME_PREFIX}${policy.name}`;
  const spec = (t: Target): string => optionalPath('object', t.podSpecPath);
  const meta = (t: Target): string => optionalPath('object', t.podMetadataPath);
  const oldPath = (_t: Target, p: string): string => optionalPath('oldObject', p);
  const same = (make: (t: Target) => [string, string]): string => byKind(compiledTargets, (t) => optionalEquals(...make(t)));
  const annotations = (root: string, t: Target): string => `${optionalPath(root, t.podMetadataPath)}.?annotations`;
  const labels = (root: string, t: Target): string => `${optionalPath(root, t.podMetadataPath)}.?labels`;
  const variables = [
    { name: 'kind', expression: 'request.kind.kind' },
    { name: 'podSpec', expression: byKind(compiledTargets, spec) },
    { name: 'spec', expression: 'variables.podSpec.orValue({})' },
    { name: 'meta', expression: `${byKind(compiledTargets, meta)}.orValue({})` },
    { name: 'specField', expression: byKind(compiledTargets, (t) => celString(fieldOf(t.podSpecPath))) },
    { name: 'metaField', expression: byKind(compiledTargets, (t) => celString(fieldOf(t.podMetadataPath))) },
    {
      name: 'containers',
      expression: CONTAINER_LISTS.map((k) => `(has(variables.spec.${k}) ? variables.spec.${k} : [])`).join(' + '),
    },
    { name: 'objectLabels', expression: 'object.?metadata.?labels.orValue({})' },
    {
      name: 'unchanged',
      expression:
        `request.operation == "UPDATE" && oldObject != null && ` +
        `${same((t) => [spec(t), oldPath(t, t.podSpecPath)])} && ${same((t) => [annotations('object', t), annotations('oldObject', t)])}`,
    },
    {
      name: 'unchangedWithLabels',
      expression:
        `variables.unchanged && ${same((t) => [labels('object', t), labels('oldObject', t)])} && ` +
        optionalEquals('object.?metadata.?labels', 'oldObject.?metadata.?labels'),
    },
    ...ruleVariables,
  ];
  const vap = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name },
    spec: {
      failurePolicy: policy.failurePolicy,
      matchConstraints: matchConstraints(policy, compiledTargets, options.selectors),
      variables,
      validations,
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName: name, validationActions: validationActions(policy.mode) },
  };
  // Kubernetes' limits on CEL (runtime/native/cost.ts): a rule over one stays on the webhook.
  return withinLimits({ policy: policy.name, results, objects: { policy: vap, binding } });
}

/** The resources, operations and selectors the webhook entry would route for these targets. */
function matchConstraints(policy: Policy, targets: readonly Target[], selectors: NativeSelectors): Record<string, unknown> {
  const ops = (['CREATE', 'UPDATE'] as const).filter((o) => policy.match.operations.includes(o));
  const byGroup = new Map<string, Set<string>>();
  for (const t of targets) {
    const key = `${t.group}\u0000${t.version}`;
    const set = byGroup.get(key) ?? new Set<string>();
    set.add(t.resource);
    byGroup.set(key, set);
  }
  const resourceRules: Record<string, unknown>[] = [...byGroup.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, resources]) => {
      const [group, version] = key.split('\u0000');
      return { apiGroups: [group], apiVersions: [version], resources: [...resources].sort(), operations: ops, scope: 'Namespaced' };
    });
  // `kubectl debug` adds containers through pods/ephemeralcontainers (an UPDATE); the engine judges it by the Pod rules.
  if (targets.some((t) => t.kind === 'Pod') && ops.includes('UPDATE')) {
    resourceRules.push({ apiGroups: [''], apiVersions: ['v1'], resources: ['pods/ephemeralcontainers'], operations: ['UPDATE'], scope: 'Namespaced' });
  }
  const out: Record<string, unknown> = { resourceRules, matchPolicy: 'Equivalent', namespaceSelector: selectors.namespaceSelector };
  if (selectors.objectSelector !== undefined) out.objectSelector = selectors.objectSelector;
  return out;
}

/** Why the families without a CEL compiler in this version stay on the webhook. */
export const NOT_COMPILED_FAMILIES: Partial<Record<RuleType, string>> = {
  verifyImages: 'signature verification needs the registry and cryptography: it stays on the webhook',
  verifyAttestations: 'attestation verification needs the registry and cryptography: it stays on the webhook',
};

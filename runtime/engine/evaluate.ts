/**
 * The one evaluator that the server, `portcullis test` and `portcullis scan` call.
 *
 * `evaluate(phase, …)` runs one webhook phase over the policies a webhook path serves:
 * - `mutate`: the mutating families (defaultResources, defaultSeccomp, …) in policy and rule order,
 *   then verifyImages digest pinning last; each mutator sees the object as the previous ones left
 *   it, and the returned patches, applied in order to the original, give the final object.
 * - `validate`: every validating family; findings go through the policy's exemptions and mode
 *   (Enforce → `violations` and a denial, Audit → `warnings`). A controller's rule judges the pod
 *   template as its Pods will be after the bundle's Pod defaults (`context.podDefaults`, see
 *   pod-defaults-relief.ts), since templates themselves are not defaulted unless opted in.
 * A family that throws (or a patch that cannot be applied) becomes a `Decision.errors` entry, never
 * a verdict: the caller applies the webhook's failurePolicy. Pure apart from what the families do
 * through `context.images`.
 */
import { DUAL_RULE_TYPES, type Policy, type Rule } from '../bundle';
import { applyExemptions } from './exemptions';
import { recordExemptions } from './exemption-use';
import { applyJsonPatch, applyJsonPatchCopyOnWrite } from './json-patch';
import { isEvaluatedOperation, isEvaluatedSubresource, isExcludedNamespace, policySelects, rulesFor } from './match';
import { violationMessage } from './messages';
import { podsValidatedToo, reliefNote, templateAfterPodDefaults, type TemplateRelief } from './pod-defaults-relief';
import { podView } from './pod-view';
import { RuleSkipped } from './rule-skipped';
import type { Target } from '../bundle';
import { RULE_FAMILIES } from './rules';
import type {
  AdmissionInput,
  Decision,
  EvaluationContext,
  Finding,
  JsonPatchOperation,
  RuleFamily,
  RuleResult,
  RuleResultKind,
  Violation,
} from './types';
import { isUnchangedForRule } from './update-relief';

export type Phase = 'mutate' | 'validate';

function emptyDecision(): Decision {
  return { allowed: true, violations: [], warnings: [], patches: [], errors: [], results: [] };
}

/** The rule name a developer knows: autogen rules report the Pod rule they came from. */
export function displayRuleName(rule: Rule): string {
  return rule.autogenFrom ?? rule.name;
}

function familyOf(rule: Rule): RuleFamily {
  return RULE_FAMILIES[rule.type] as RuleFamily;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * PodViews of one object, built once per target and shared by every rule reading that target (the
 * rules of one request usually all read the same pod spec). Rule families only read a PodView.
 */
class PodViews {
  /** By target key; made when a second distinct Target object is asked for (most requests never). */
  private views: Map<string, ReturnType<typeof podView>> | undefined;
  private lastTarget: Target | undefined;
  private lastView: ReturnType<typeof podView>;

  constructor(private readonly object: unknown) {}

  of(target: Target): ReturnType<typeof podView> {
    // Consecutive rules usually share one Target object (one policy index): skip the key lookup.
    if (target === this.lastTarget) return this.lastView;
    if (this.lastTarget === undefined) {
      this.lastTarget = target;
      this.lastView = podView(this.object, target);
      return this.lastView;
    }
    if (this.views === undefined) this.views = new Map([[targetKey(this.lastTarget), this.lastView]]);
    const key = targetKey(target);
    let view = this.views.get(key);
    if (view === undefined && !this.views.has(key)) {
      view = podView(this.object, target);
      this.views.set(key, view);
    }
    this.lastTarget = target;
    this.lastView = view;
    return view;
  }
}

/** Everything a Target says, as one string, computed once per Target object. */
const targetKeys = new WeakMap<Target, string>();

function targetKey(target: Target): string {
  let key = targetKeys.get(target);
  if (key === undefined) {
    key = JSON.stringify([target.group, target.kind, target.version, target.resource, target.subresource ?? '', target.podSpecPath, target.podMetadataPath]);
    targetKeys.set(target, key);
  }
  return key;
}

/**
 * Result lines are values (policy, rule, type, result) that repeat on every request: one frozen
 * object per rule and result kind, shared by every decision (a loaded bundle's rules never change;
 * a reload brings new Rule objects, so nothing stale survives it).
 */
const internedResults = new WeakMap<Rule, Partial<Record<RuleResultKind, RuleResult>>>();

/** A rule's result line (the shared one for this rule and result). */
function ruleResult(policy: Policy, rule: Rule, result: RuleResultKind): RuleResult {
  let kinds = internedResults.get(rule);
  if (kinds === undefined) {
    kinds = {};
    internedResults.set(rule, kinds);
  }
  const interned = kinds[result];
  if (interned !== undefined && interned.policy === policy.name) return interned;
  const made: RuleResult = Object.freeze({ policy: policy.name, rule: displayRuleName(rule), ruleType: rule.type, result });
  kinds[result] = made;
  return made;
}

/**
 * A family that threw (or whose patch could not apply): an error entry, never a verdict — unless
 * its ImageVerifier declined to check (RuleSkipped, offline only): then `skip`, with the reason.
 */
function ruleFailed(decision: Decision, policy: Policy, rule: Rule, err: unknown): void {
  if (err instanceof RuleSkipped) {
    (decision.skipped ??= []).push({ policy: policy.name, rule: displayRuleName(rule), reason: err.message });
    decision.results.push(ruleResult(policy, rule, 'skip'));
    return;
  }
  decision.errors.push({ policy: policy.name, rule: displayRuleName(rule), message: errorMessage(err) });
  decision.results.push(ruleResult(policy, rule, 'error'));
}

/**
 * Most families answer synchronously: their result is awaited only when it is a promise, which
 * saves a microtask turn per rule and resolves to the same value either way.
 */
function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return value instanceof Promise;
}

interface Planned {
  policy: Policy;
  rule: Rule;
}

/** The policies that select this request, in order (their rules come from rulesFor's index). */
function matchingPolicies(input: AdmissionInput, policies: readonly Policy[], context: EvaluationContext): Policy[] {
  if (!isEvaluatedOperation(input.operation) || !isEvaluatedSubresource(input)) return [];
  if (isExcludedNamespace(input.namespace, context)) return [];
  const out: Policy[] = [];
  for (const policy of policies) if (policySelects(policy, input)) out.push(policy);
  return out;
}

/**
 * Evaluate one admission request for one phase against the given policies (those a webhook path
 * serves, in order). `mutate` runs only mutating rule families (and digest pinning) and returns
 * patches; `validate` runs only validating families and returns violations.
 */
export async function evaluate(
  phase: Phase,
  input: AdmissionInput,
  policies: readonly Policy[],
  context: EvaluationContext,
): Promise<Decision> {
  return evaluateNow(phase, input, policies, context);
}

/**
 * `evaluate`, answering synchronously when every rule does (only image verification waits on the
 * network): the admission server then answers without a promise turn. Same decision either way.
 */
export function evaluateNow(
  phase: Phase,
  input: AdmissionInput,
  policies: readonly Policy[],
  context: EvaluationContext,
): Decision | Promise<Decision> {
  const matched = matchingPolicies(input, policies, context);
  return phase === 'mutate' ? mutate(matched, input, context) : validate(matched, input, context);
}

/** The mutating rules in the order they run: digest pinning (verifyImages) after every default. */
function mutators(matched: readonly Policy[], input: AdmissionInput): Planned[] {
  const defaults: Planned[] = [];
  const pinning: Planned[] = [];
  for (const policy of matched) {
    for (const rule of rulesFor(policy, input)) {
      if (familyOf(rule).mutate === undefined) continue;
      (DUAL_RULE_TYPES.includes(rule.type) ? pinning : defaults).push({ policy, rule });
    }
  }
  return pinning.length === 0 ? defaults : [...defaults, ...pinning];
}

/**
 * One mutation phase: each mutator sees the object as the previous ones left it. That object is
 * patched copy-on-write (only the containers on patched paths are copied; the rest is shared with
 * the original, which nobody modifies); a failed patch rebuilds it from the original and the
 * patches accepted before.
 */
class Mutation {
  readonly decision = emptyDecision();
  private working: unknown;
  /** The containers this mutation copied (made at the first patch: most requests have none). */
  private own: Set<object> | undefined;
  private views: PodViews;

  constructor(
    private readonly input: AdmissionInput,
    private readonly context: EvaluationContext,
  ) {
    this.working = input.object;
    this.views = new PodViews(input.object);
  }

  /** The mutators from index `from` on, in order; after one that waits, the rest follow it. */
  runFrom(ordered: readonly Planned[], from: number): Decision | Promise<Decision> {
    for (let i = from; i < ordered.length; i += 1) {
      const pending = this.step(ordered[i]);
      if (pending !== undefined) return pending.then(() => this.runFrom(ordered, i + 1));
    }
    return this.decision;
  }

  /** Runs one mutator; a promise only when its family answers with one. */
  private step({ policy, rule }: Planned): void | Promise<void> {
    const { input, decision } = this;
    const pod = this.views.of(rule.target);
    if (pod === undefined || isUnchangedForRule(input, rule)) {
      decision.results.push(ruleResult(policy, rule, 'skip'));
      return;
    }
    let pending: JsonPatchOperation[] | Promise<JsonPatchOperation[]>;
    try {
      const request = this.working === input.object ? input : { ...input, object: this.working };
      pending = (familyOf(rule).mutate as NonNullable<RuleFamily['mutate']>)({ policy, rule, pod, request, context: this.context });
    } catch (err) {
      ruleFailed(decision, policy, rule, err);
      return;
    }
    if (!isPromise(pending)) return this.accept(policy, rule, pending);
    return pending.then(
      (ops) => this.accept(policy, rule, ops),
      (err: unknown) => ruleFailed(decision, policy, rule, err),
    );
  }

  private accept(policy: Policy, rule: Rule, ops: JsonPatchOperation[]): void {
    if (ops.length > 0) {
      try {
        this.working = applyJsonPatchCopyOnWrite(this.working, ops, (this.own ??= new Set<object>()));
      } catch (err) {
        this.working = applyJsonPatch(this.input.object, this.decision.patches);
        this.own = undefined;
        ruleFailed(this.decision, policy, rule, err);
        return;
      }
      this.views = new PodViews(this.working);
      this.decision.patches.push(...ops);
    }
    this.decision.results.push(ruleResult(policy, rule, 'pass'));
  }
}

function mutate(matched: readonly Policy[], input: AdmissionInput, context: EvaluationContext): Decision | Promise<Decision> {
  return new Mutation(input, context).runFrom(mutators(matched, input), 0);
}

function toViolation(policy: Policy, rule: Rule, finding: Finding, message: string, expired?: string): Violation {
  const v: Violation = {
    policy: policy.name,
    rule: displayRuleName(rule),
    ruleType: rule.type,
    control: finding.control,
    mode: policy.mode,
    field: finding.field,
    message,
  };
  if (finding.container !== undefined) v.container = finding.container.name;
  if (finding.allowed !== undefined) v.allowed = finding.allowed;
  if (expired !== undefined) v.expiredExemption = expired;
  return v;
}

function validate(matched: readonly Policy[], input: AdmissionInput, context: EvaluationContext): Decision | Promise<Decision> {
  const views = new PodViews(input.object);
  // Pods (most requests) and bundles without Pod defaults never need the relief machinery.
  const relief = input.kind.kind === 'Pod' || (context.podDefaults?.length ?? 0) === 0 ? undefined : new ControllerRelief(input, context);
  return validateFrom({ decision: emptyDecision(), views, relief, matched, input, context }, 0, 0);
}

interface Validation {
  decision: Decision;
  views: PodViews;
  relief: ControllerRelief | undefined;
  matched: readonly Policy[];
  input: AdmissionInput;
  context: EvaluationContext;
}

interface Relieved {
  relief: TemplateRelief;
  views: PodViews;
}

/**
 * One request's controller template after the Pod defaults (pod-defaults-relief.ts), computed on
 * the first controller rule that asks (Pods and most requests never do), and which rules may be
 * judged on it: those whose Pod rule backs them up.
 */
class ControllerRelief {
  /** By target key: the relieved template, or null when the defaults add nothing. */
  private readonly templates = new Map<string, Relieved | null>();
  private readonly backed = new Map<Rule, boolean>();

  constructor(
    private readonly input: AdmissionInput,
    private readonly context: EvaluationContext,
  ) {}

  /** The relieved template to judge `rule` of `policy` on, or undefined for the object as admitted. */
  for(policy: Policy, rule: Rule): Relieved | undefined {
    const defaults = this.context.podDefaults;
    if (rule.target.kind === 'Pod' || defaults === undefined || defaults.length === 0) return undefined;
    const key = targetKey(rule.target);
    let relieved = this.templates.get(key);
    if (relieved === undefined) {
      const relief = templateAfterPodDefaults(this.input, rule.target, defaults, this.context);
      relieved = relief === undefined ? null : { relief, views: new PodViews(relief.object) };
      this.templates.set(key, relieved);
    }
    if (relieved === null) return undefined;
    let ok = this.backed.get(rule);
    if (ok === undefined) {
      ok = podsValidatedToo(policy, rule, relieved.relief.pods, this.context);
      this.backed.set(rule, ok);
    }
    return ok ? relieved : undefined;
  }
}

/** The validating rules from (policy, rule) index on, in order; after a rule that waits, the rest follow it. */
function validateFrom(v: Validation, fromPolicy: number, fromRule: number): Decision | Promise<Decision> {
  for (let p = fromPolicy; p < v.matched.length; p += 1) {
    const policy = v.matched[p];
    const rules = rulesFor(policy, v.input);
    for (let r = p === fromPolicy ? fromRule : 0; r < rules.length; r += 1) {
      const pending = validateRule(v.decision, v.views, v.relief, policy, rules[r], v.input, v.context);
      if (pending !== undefined) return pending.then(() => validateFrom(v, p, r + 1));
    }
  }
  v.decision.allowed = v.decision.violations.length === 0;
  return v.decision;
}

/**
 * One validating rule into `decision`. Returns a promise only when the family answers with one
 * (image verification); the rules after it then follow it, and a synchronous rule costs no
 * promise turn.
 */
function validateRule(
  decision: Decision,
  views: PodViews,
  relief: ControllerRelief | undefined,
  policy: Policy,
  rule: Rule,
  input: AdmissionInput,
  context: EvaluationContext,
): void | Promise<void> {
  const validateFn = familyOf(rule).validate;
  if (validateFn === undefined) return;
  const admitted = views.of(rule.target);
  if (admitted === undefined || isUnchangedForRule(input, rule)) {
    decision.results.push(ruleResult(policy, rule, 'skip'));
    return;
  }
  // Pods (most requests) have no relief: no lookup, no closure, the admitted view as is.
  const relieved = relief === undefined ? undefined : relief.for(policy, rule);
  const pod = relieved === undefined ? admitted : relieved.views.of(rule.target);
  if (pod === undefined) {
    decision.results.push(ruleResult(policy, rule, 'skip'));
    return;
  }
  let pending: Finding[] | Promise<Finding[]>;
  try {
    pending = validateFn({ policy, rule, pod, request: input, context });
  } catch (err) {
    ruleFailed(decision, policy, rule, err);
    return;
  }
  if (!isPromise(pending)) return report(decision, policy, rule, relieved === undefined ? pending : withReliefNotes(pending, relieved.relief), input, context);
  return pending.then(
    (findings) => report(decision, policy, rule, relieved === undefined ? findings : withReliefNotes(findings, relieved.relief), input, context),
    (err: unknown) => ruleFailed(decision, policy, rule, err),
  );
}

/** Findings on a relieved template that name a defaulted value say where that value came from. */
function withReliefNotes(findings: Finding[], relief: TemplateRelief): Finding[] {
  return findings.map((f) => {
    const note = reliefNote(f.field, relief);
    return note === '' ? f : { ...f, message: `${f.message}${note}` };
  });
}

/** A validating rule's findings through the policy's exemptions and mode into `decision`. */
function report(
  decision: Decision,
  policy: Policy,
  rule: Rule,
  findings: readonly Finding[],
  input: AdmissionInput,
  context: EvaluationContext,
): void {
  let reported = 0;
  for (const finding of findings) {
    const outcome = applyExemptions(policy, finding, input, context.now);
    if (outcome.kind === 'exempt') {
      recordExemptions(decision, policy, displayRuleName(rule), rule.type, finding.control, outcome.by, false);
      continue;
    }
    if (outcome.by !== undefined) recordExemptions(decision, policy, displayRuleName(rule), rule.type, finding.control, outcome.by, true);
    const message = violationMessage({
      policy,
      rule: displayRuleName(rule),
      finding: outcome.finding,
      relievedValues: outcome.relievedValues,
      ...(outcome.expired ? { expired: outcome.expired } : {}),
    });
    const v = toViolation(policy, rule, outcome.finding, message, outcome.expired?.name);
    (policy.mode === 'Enforce' ? decision.violations : decision.warnings).push(v);
    reported += 1;
  }
  let kind: RuleResultKind = 'pass';
  if (reported > 0) kind = policy.mode === 'Enforce' ? 'fail' : 'warn';
  else if (findings.length > 0) kind = 'exempt';
  decision.results.push(ruleResult(policy, rule, kind));
}

export interface OfflineResult {
  mutation: Decision;
  validation: Decision;
  /** The object after the mutation patches were applied (what validation saw). */
  patched: unknown;
  /** false iff validation denies (an Enforce violation) or an error occurred under failurePolicy Fail. */
  allowed: boolean;
}

function failsClosed(decision: Decision, policies: readonly Policy[]): boolean {
  return decision.errors.some((e) => policies.find((p) => p.name === e.policy)?.failurePolicy !== 'Ignore');
}

/** Mutate, apply the patches, then validate the result: the order the API server applies. */
export async function evaluateOffline(
  input: AdmissionInput,
  policies: readonly Policy[],
  context: EvaluationContext,
): Promise<OfflineResult> {
  const mutation = await evaluate('mutate', input, policies, context);
  const patched = mutation.patches.length > 0 ? applyJsonPatch(input.object, mutation.patches) : input.object;
  // Offline, `policies` is the whole bundle: controllers are judged after its Pod defaults, as the server does.
  const validation = await evaluate('validate', { ...input, object: patched }, policies, { ...context, podDefaults: context.podDefaults ?? policies });
  const allowed = validation.allowed && !failsClosed(mutation, policies) && !failsClosed(validation, policies);
  return { mutation, validation, patched, allowed };
}

/**
 * Evaluating documents offline against a bundle with the runtime's own engine (mutate → apply →
 * validate, `evaluateOffline`), producing one report per resource. Shared by `portcullis test`, the
 * fixture runner and `portcullis scan`.
 */
import { exemptionUseRecord, type ExemptionUseRecord } from '../engine/exemption-use';
import type { Bundle } from '../bundle';
import { evaluateOffline, type OfflineResult } from '../engine/evaluate';
import type { EvaluationContext, EvaluationError, ImageVerifier, JsonPatchOperation, RuleResultKind, SkippedRule, Violation } from '../engine/types';
import type { InputDocument } from './input';

export interface ReportedViolation {
  policy: string;
  rule: string;
  control: string;
  message: string;
  container?: string;
  field: string;
  expiredExemption?: string;
}

/** An exemption that relieved findings of one rule of this resource (`Decision.exemptions`). */
export type ReportedExemption = ExemptionUseRecord;
export const reportedExemption = exemptionUseRecord;

export interface ResourceReport {
  source: string;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  allowed: boolean;
  violations: ReportedViolation[];
  warnings: ReportedViolation[];
  /** The exemptions that relieved findings (entirely or partly). */
  exemptions: ReportedExemption[];
  errors: EvaluationError[];
  patches: JsonPatchOperation[];
  /** Per (policy, rule): the combined result of both phases. */
  results: Array<{ policy: string; rule: string; result: RuleResultKind }>;
  /** Rules whose combined result is a skip with a reason (offline: signatures not checked). */
  skipped: SkippedRule[];
  /** The object after mutation. */
  patched: unknown;
}

export interface OfflineOptions {
  now: Date;
  images?: ImageVerifier;
}

const SEVERITY: Record<RuleResultKind, number> = { skip: 0, pass: 1, exempt: 2, warn: 3, fail: 4, error: 5 };

function report(v: Violation): ReportedViolation {
  const out: ReportedViolation = { policy: v.policy, rule: v.rule, control: v.control, message: v.message, field: v.field };
  if (v.container !== undefined) out.container = v.container;
  if (v.expiredExemption !== undefined) out.expiredExemption = v.expiredExemption;
  return out;
}

const ruleKey = (x: { policy: string; rule: string }): string => `${x.policy}\u0000${x.rule}`;

/** A skip with a reason (a rule the verifier declined to check) outranks a pass: something went unchecked. */
const REASONED_SKIP = 1.5;

/**
 * Merge both phases' per-rule results: the most severe wins (a rule may run in both; a rule skipped
 * with a reason in either phase is `skip` unless the other found or failed something).
 */
export function combinedResults(r: OfflineResult): ResourceReport['results'] {
  const reasoned = new Set([...(r.mutation.skipped ?? []), ...(r.validation.skipped ?? [])].map(ruleKey));
  const rank = (x: { policy: string; rule: string; result: RuleResultKind }): number =>
    x.result === 'skip' && reasoned.has(ruleKey(x)) ? REASONED_SKIP : SEVERITY[x.result];
  const map = new Map<string, { policy: string; rule: string; result: RuleResultKind }>();
  for (const x of [...r.mutation.results, ...r.validation.results]) {
    const key = ruleKey(x);
    const cur = map.get(key);
    if (cur === undefined || rank(x) > rank(cur)) map.set(key, { policy: x.policy, rule: x.rule, result: x.result });
  }
  return [...map.values()];
}

/**
 * The rules whose combined result is `skip` with a reason, one entry each: validation's reason when
 * it skipped too (it checks every selected image; the mutation only the ones it would pin).
 */
function skippedRules(r: OfflineResult, results: ResourceReport['results']): SkippedRule[] {
  const skipped = new Set(results.filter((x) => x.result === 'skip').map(ruleKey));
  const out = new Map<string, SkippedRule>();
  for (const s of [...(r.validation.skipped ?? []), ...(r.mutation.skipped ?? [])]) {
    const key = ruleKey(s);
    if (skipped.has(key) && !out.has(key)) out.set(key, { policy: s.policy, rule: s.rule, reason: s.reason });
  }
  return [...out.values()];
}

export async function evaluateDocument(doc: InputDocument, bundle: Bundle, options: OfflineOptions): Promise<ResourceReport> {
  const context: EvaluationContext = { now: options.now, excludedNamespaces: [bundle.metadata.runtimeNamespace] };
  if (options.images !== undefined) context.images = options.images;
  const r = await evaluateOffline(doc.input, bundle.policies, context);
  const results = combinedResults(r);
  const out: ResourceReport = {
    source: doc.source,
    apiVersion: doc.apiVersion,
    kind: doc.kind,
    name: doc.name,
    allowed: r.allowed,
    violations: r.validation.violations.map(report),
    warnings: r.validation.warnings.map(report),
    exemptions: (r.validation.exemptions ?? []).map(reportedExemption),
    errors: [...r.mutation.errors, ...r.validation.errors],
    patches: r.mutation.patches,
    results,
    skipped: skippedRules(r, results),
    patched: r.patched,
  };
  if (doc.namespace !== undefined) out.namespace = doc.namespace;
  return out;
}

export async function evaluateDocuments(docs: readonly InputDocument[], bundle: Bundle, options: OfflineOptions): Promise<ResourceReport[]> {
  const out: ResourceReport[] = [];
  for (const d of docs) out.push(await evaluateDocument(d, bundle, options));
  return out;
}

/**
 * Evaluating one existing workload the way admission would see it being created now: the
 * object becomes a CREATE request (built by the shared reader, runtime/cli/input.ts), the policies run mutate → validate (`evaluateOffline`, the same
 * code the webhook runs), and — by default — every policy as if it were in Enforce mode, so Audit
 * policies report what they WOULD block. Pure apart from what `context.images` does.
 */
import {
  ALWAYS_EXCLUDED_NAMESPACES,
  CONTROLLER_TARGETS,
  IMAGE_RULE_TYPES,
  POD_TARGET,
  type Bundle,
  type Mode,
  type Policy,
  type Target,
} from '../bundle';
import { evaluateOffline } from '../engine/evaluate';
import type { AdmissionInput, AppliedExemption, EvaluationContext, EvaluationError, RuleResult, Violation } from '../engine/types';
import { controllerOwner, podTemplateHash, resourceRef, type OwnerRef, type ResourceRef } from './workload';

export interface ScanPolicies {
  /** What the engine evaluates (modes forced to Enforce unless `asEnforce` was false). */
  policies: Policy[];
  /** Each policy's mode as the bundle has it. */
  bundleModes: ReadonlyMap<string, Mode>;
  /** `policy/rule` of verifyImages rules left out because no image verifier is available. */
  skippedSignatureRules: string[];
  /** Namespaces admission never evaluates: the fixed ones plus the runtime's own. */
  excludedNamespaces: string[];
}

export interface ScanPolicyOptions {
  /** Evaluate every policy as Enforce (default), or with the bundle's modes. */
  asEnforce: boolean;
  /** Keep verifyImages rules (an ImageVerifier will be supplied). */
  verifyImages: boolean;
}

export function prepareScanPolicies(bundle: Bundle, options: ScanPolicyOptions): ScanPolicies {
  const skipped: string[] = [];
  const policies: Policy[] = [];
  for (const p of bundle.policies) {
    const rules = options.verifyImages ? p.rules : p.rules.filter((r) => !IMAGE_RULE_TYPES.includes(r.type));
    for (const r of p.rules) {
      if (!options.verifyImages && IMAGE_RULE_TYPES.includes(r.type) && r.autogenFrom === undefined) skipped.push(`${p.name}/${r.name}`);
    }
    if (rules.length === 0) continue;
    policies.push({ ...p, rules, mode: options.asEnforce ? 'Enforce' : p.mode });
  }
  return {
    policies,
    bundleModes: new Map(bundle.policies.map((p) => [p.name, p.mode])),
    skippedSignatureRules: skipped,
    excludedNamespaces: [...ALWAYS_EXCLUDED_NAMESPACES, bundle.metadata.runtimeNamespace],
  };
}

const TARGETS: readonly Target[] = [POD_TARGET, ...Object.values(CONTROLLER_TARGETS)];

/** The target table entry for an object's apiVersion/kind, if Portcullis evaluates that kind. */
export function workloadTarget(ref: ResourceRef): Target | undefined {
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  const version = slash < 0 ? ref.apiVersion : ref.apiVersion.slice(slash + 1);
  return TARGETS.find((t) => t.kind === ref.kind && t.group === group && t.version === version);
}

export interface WorkloadResult {
  ref: ResourceRef;
  owner?: OwnerRef;
  podTemplateHash?: string;
  /** Violations that would deny (Enforce, or forced to Enforce). */
  violations: Violation[];
  /** Violations of Audit policies when evaluated with the bundle's modes. */
  warnings: Violation[];
  /** The exemptions that relieved findings (entirely or partly), per policy, rule and exemption. */
  exemptions: AppliedExemption[];
  errors: EvaluationError[];
  /** Errors under failurePolicy Fail deny too: what `allowed` reflects. */
  blocked: boolean;
  /** One per (policy, rule) evaluated, mutation and validation merged. */
  results: RuleResult[];
}

const PRECEDENCE: RuleResult['result'][] = ['error', 'fail', 'warn', 'exempt', 'pass', 'skip'];

function mergeResults(lists: RuleResult[][]): RuleResult[] {
  const out = new Map<string, RuleResult>();
  for (const r of lists.flat()) {
    const key = `${r.policy}\u0000${r.rule}`;
    const prev = out.get(key);
    if (prev === undefined || PRECEDENCE.indexOf(r.result) < PRECEDENCE.indexOf(prev.result)) out.set(key, r);
  }
  return [...out.values()];
}

export async function evaluateWorkload(
  object: unknown,
  input: AdmissionInput,
  ref: ResourceRef,
  scan: ScanPolicies,
  context: EvaluationContext,
): Promise<WorkloadResult> {
  const r = await evaluateOffline(input, scan.policies, { ...context, excludedNamespaces: scan.excludedNamespaces });
  const result: WorkloadResult = {
    ref,
    violations: r.validation.violations,
    warnings: r.validation.warnings,
    exemptions: r.validation.exemptions ?? [],
    errors: [...r.mutation.errors, ...r.validation.errors],
    blocked: !r.allowed,
    results: mergeResults([r.mutation.results, r.validation.results]),
  };
  const owner = controllerOwner(object);
  if (owner !== undefined) result.owner = owner;
  const hash = podTemplateHash(object);
  if (hash !== undefined) result.podTemplateHash = hash;
  return result;
}

export { resourceRef };

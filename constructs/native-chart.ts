/**
 * Native enforcement (runtime/native): which policies run as ValidatingAdmissionPolicies, and the
 * chart that writes them (`45-native-policies.k8s.yaml`, sync wave WEBHOOKS with the other
 * admission configuration: applied last, pruned first).
 *
 * Per policy, `enforcement` (else the app's, else `webhook`):
 * - `webhook`: everything on the webhook (no native objects);
 * - `hybrid`: when every validating rule of the policy compiles exactly, its validations run
 *   natively and leave the validating webhook's routing (mutations and signature checks stay on
 *   the webhook); otherwise the whole policy stays on the webhook. In this version the split is per
 *   policy: the webhook evaluates every rule of a policy it serves, so a policy split between both
 *   would be reported twice;
 * - `native`: like hybrid, but a validating rule that cannot compile refuses synth, naming it and why.
 * The bundle always carries every rule (for `portcullis test` and `scan`).
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Policy as BundlePolicy } from '../runtime/bundle';
import { compilePolicy, type CompiledPolicy, type EnforcementTarget } from '../runtime/native';
import { APP_LABELS } from './labels';
import { applySyncWave, SyncWave } from './sync-waves';
import { ruleMutates, webhookSelectors } from './webhook-groups';

export const NATIVE_CHART_ID = '45-native-policies';

export interface NativePlan {
  /** Policies enforced natively (their validating rules leave the webhook). */
  native: CompiledPolicy[];
  /** Refusals of `native` policies: `policy/rule: reason`. */
  problems: { policy: string; message: string }[];
}

/** Decide where each policy's validations run (see the module documentation). */
export function planNative(
  policies: readonly BundlePolicy[],
  enforcementOf: (policy: BundlePolicy) => EnforcementTarget,
  never: readonly string[],
): NativePlan {
  const plan: NativePlan = { native: [], problems: [] };
  for (const policy of policies) {
    const enforcement = enforcementOf(policy);
    if (enforcement === 'webhook') continue;
    const selectors = webhookSelectors(policy.match, policy.exclude, never);
    if (typeof selectors === 'string') continue; // refused by the policy's own validation
    const compiled = compilePolicy(policy, { selectors });
    const refused = compiled.results.filter((r) => r.kind === 'notExpressible');
    if (enforcement === 'native') {
      for (const r of refused) {
        plan.problems.push({
          policy: policy.name,
          message: `enforcement 'native': rule ${r.rule} (${r.ruleType}) cannot run as a ValidatingAdmissionPolicy: ${r.kind === 'notExpressible' ? r.reason : ''}. Fix: use enforcement 'hybrid' (it stays on the webhook) or 'webhook'.`,
        });
      }
    }
    if (refused.length === 0 && compiled.objects !== undefined) plan.native.push(compiled);
  }
  return plan;
}

/** The policies as the webhook routes them: a native policy keeps only its mutating rules. */
export function webhookRouted(policies: readonly BundlePolicy[], plan: NativePlan): BundlePolicy[] {
  const names = new Set(plan.native.map((c) => c.policy));
  return policies.map((p) => (names.has(p.name) ? { ...p, rules: p.rules.filter(ruleMutates) } : p));
}

export interface NativePoliciesChartProps {
  readonly compiled: readonly CompiledPolicy[];
}

/** The ValidatingAdmissionPolicies and their bindings. Cluster-scoped: no namespace. */
export class NativePoliciesChart extends Chart {
  constructor(scope: Construct, id: string, props: NativePoliciesChartProps) {
    super(scope, id, { labels: { ...APP_LABELS } });
    for (const c of props.compiled) {
      if (c.objects === undefined) continue;
      new ApiObject(this, `${c.policy}-policy`, c.objects.policy as never);
      new ApiObject(this, `${c.policy}-binding`, c.objects.binding as never);
    }
    applySyncWave(this, SyncWave.WEBHOOKS);
  }
}

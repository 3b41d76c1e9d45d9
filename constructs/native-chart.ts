/**
 * Native enforcement (runtime/native): which policies run as ValidatingAdmissionPolicies, and the
 * chart that writes them (`45-native-policies.k8s.yaml`, sync wave WEBHOOKS with the other
 * admission configuration: applied last, pruned first).
 *
 * Per policy, `enforcement` (else the app's, else `webhook`):
 * - `webhook`: everything on the webhook (no native objects);
 * - `hybrid`: each validating rule that compiles exactly runs natively (one
 *   ValidatingAdmissionPolicy + binding per policy carries them); every other rule — signature and
 *   attestation checks, mutations, and validations CEL cannot express exactly — stays on the
 *   webhook. The bundle names the native rules (`nativeRules`): the validating webhook skips them,
 *   so no finding is reported twice, and the webhook routes only the resources its remaining rules
 *   need;
 * - `native`: like hybrid, but a validating rule that cannot compile refuses synth, naming it and why.
 * The bundle always carries every rule (for `portcullis test` and `scan`).
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { withoutNativeRules, type Policy as BundlePolicy } from '../runtime/bundle';
import { compilePolicy, type CompiledPolicy, type EnforcementTarget } from '../runtime/native';
import { APP_LABELS } from './labels';
import { applySyncWave, SyncWave } from './sync-waves';
import { webhookSelectors } from './webhook-groups';

export const NATIVE_CHART_ID = '45-native-policies';

export interface NativePlan {
  /** Policies with rules enforced natively (those rules leave the webhook). */
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
    if ((enforcement === 'hybrid' || refused.length === 0) && compiled.objects !== undefined) plan.native.push(compiled);
  }
  return plan;
}

/** The rules (by author name) of `policy` that the plan runs natively. */
export function nativeRulesOf(plan: NativePlan, policy: string): string[] {
  const compiled = plan.native.find((c) => c.policy === policy);
  return compiled === undefined ? [] : compiled.results.filter((r) => r.kind === 'compiled').map((r) => r.rule);
}

/** The bundle's policies with their `nativeRules` recorded (the validating webhook skips those). */
export function withNativeRules(policies: readonly BundlePolicy[], plan: NativePlan): BundlePolicy[] {
  return policies.map((p) => {
    const rules = nativeRulesOf(plan, p.name);
    return rules.length === 0 ? p : { ...p, nativeRules: rules };
  });
}

/** The policies as the webhook routes them: without the rules that run natively. */
export function webhookRouted(policies: readonly BundlePolicy[]): BundlePolicy[] {
  return policies.map(withoutNativeRules);
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

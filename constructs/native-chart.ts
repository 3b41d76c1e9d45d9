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
 *   need. A rule with expiring exemptions scoped to literal namespaces runs natively except in those
 *   namespaces, where the webhook keeps it (`webhookNamespaces`, runtime/native/carve-out.ts);
 * - `native`: like hybrid, but a validating rule that cannot compile, or that the webhook would keep
 *   in some namespaces, refuses synth, naming it and why.
 * The bundle always carries every rule (for `portcullis test` and `scan`).
 */
import { ApiObject, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { webhookRoute, type Policy as BundlePolicy } from '../runtime/bundle';
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
    // The bundle's policies: a controller is judged after their Pod defaults, as the webhook does.
    const compiled = compilePolicy(policy, { selectors, podDefaults: policies });
    const refused = compiled.results.filter((r) => r.kind === 'notExpressible');
    if (enforcement === 'native') {
      for (const r of compiled.results) {
        if (r.kind !== 'compiled' || r.webhookNamespaces === undefined) continue;
        plan.problems.push({
          policy: policy.name,
          message: `enforcement 'native': rule ${r.rule} (${r.ruleType}) has expiring exemptions, which CEL cannot end on time (no clock): the webhook would have to keep namespaces ${r.webhookNamespaces.join(', ')}. Fix: use enforcement 'hybrid', or exemptions without expiresAt (not recommended).`,
        });
      }
      for (const r of refused) {
        plan.problems.push({
          policy: policy.name,
          message: `enforcement 'native': rule ${r.rule} (${r.ruleType}) cannot run as a ValidatingAdmissionPolicy: ${r.kind === 'notExpressible' ? r.reason : ''}. Fix: use enforcement 'hybrid' (it stays on the webhook) or 'webhook'.`,
        });
      }
    }
    const carved = compiled.results.some((r) => r.kind === 'compiled' && r.webhookNamespaces !== undefined);
    if ((enforcement === 'hybrid' || (refused.length === 0 && !carved)) && compiled.objects !== undefined) plan.native.push(compiled);
  }
  return plan;
}

/**
 * The bundle's policies with their `nativeRules` recorded (the validating webhook skips those) and
 * the namespaces where the webhook keeps some of them (`webhookNamespaces`, carve-out.ts).
 */
export function withNativeRules(policies: readonly BundlePolicy[], plan: NativePlan): BundlePolicy[] {
  return policies.map((p) => {
    const compiled = (plan.native.find((c) => c.policy === p.name)?.results ?? []).filter((r) => r.kind === 'compiled');
    if (compiled.length === 0) return p;
    const kept: Record<string, string[]> = {};
    for (const r of compiled) if (r.webhookNamespaces !== undefined) kept[r.rule] = r.webhookNamespaces;
    return { ...p, nativeRules: compiled.map((r) => r.rule), ...(Object.keys(kept).length > 0 ? { webhookNamespaces: kept } : {}) };
  });
}

/** The policies as the webhook routes them (runtime/bundle/native-rules.ts webhookRoute). */
export function webhookRouted(policies: readonly BundlePolicy[]): BundlePolicy[] {
  return policies.map(webhookRoute);
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

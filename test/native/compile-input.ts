/**
 * Compiling a bundle policy as synth does (the selectors of its webhook entry), for the
 * differential tests and the native benchmark. No test framework here: the benchmark imports it.
 */
import type { Policy } from '../../runtime/bundle';
import { compilePolicy, type CompiledPolicy } from '../../runtime/native';
import { webhookSelectors } from '../../constructs/webhook-groups';

export const RUNTIME_NAMESPACE = 'portcullis-system';
export const NEVER = ['kube-node-lease', 'kube-public', 'kube-system', RUNTIME_NAMESPACE];

/** `podDefaults`: the bundle's policies, as synth passes them (constructs/native-chart.ts). */
export function compileForTest(policy: Policy, podDefaults?: readonly Policy[]): CompiledPolicy {
  const selectors = webhookSelectors(policy.match, policy.exclude, NEVER);
  if (typeof selectors === 'string') throw new Error(selectors);
  return compilePolicy(policy, { selectors, ...(podDefaults !== undefined ? { podDefaults } : {}) });
}

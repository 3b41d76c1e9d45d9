/**
 * Compiling a bundle policy as synth does (the selectors of its webhook entry), for the
 * differential tests and the native benchmark. No test framework here: the benchmark imports it.
 */
import type { Policy } from '../../runtime/bundle';
import type { AdmissionInput } from '../../runtime/engine/types';
import { compilePolicy, type CompiledPolicy } from '../../runtime/native';
import { webhookSelectors } from '../../constructs/webhook-groups';
import type { NativeRequest } from './cel-harness';

export const RUNTIME_NAMESPACE = 'portcullis-system';
export const NEVER = ['kube-node-lease', 'kube-public', 'kube-system', RUNTIME_NAMESPACE];

/** `podDefaults`: the bundle's policies, as synth passes them (constructs/native-chart.ts). */
export function compileForTest(policy: Policy, podDefaults?: readonly Policy[]): CompiledPolicy {
  const selectors = webhookSelectors(policy.match, policy.exclude, NEVER);
  if (typeof selectors === 'string') throw new Error(selectors);
  return compilePolicy(policy, { selectors, ...(podDefaults !== undefined ? { podDefaults } : {}) });
}

/** The request as the webhook's engine receives it (the other side of the differential oracle). */
export function engineInput(req: NativeRequest, object: unknown = req.object): AdmissionInput {
  return {
    uid: 'u',
    kind: req.kind,
    resource: req.resource,
    operation: req.operation,
    namespace: req.namespace,
    object,
    ...(req.subResource !== undefined ? { subResource: req.subResource } : {}),
    ...(req.oldObject !== undefined ? { oldObject: req.oldObject } : {}),
  };
}

/**
 * When a mutator may touch the pod spec. A Pod's spec is immutable after creation apart from a few
 * fields (images, tolerations, activeDeadlineSeconds, …): adding resources or a seccomp profile on
 * an UPDATE of a Pod (or through its `ephemeralcontainers` subresource) would make the API server
 * refuse the whole update. So defaults are applied to Pods at CREATE only; controllers' pod
 * templates are mutable and are defaulted on CREATE and UPDATE. Pure.
 */
import type { RuleInput } from '../types';

export function mayMutatePodSpec(input: Pick<RuleInput, 'rule' | 'request'>): boolean {
  return !(input.rule.target.kind === 'Pod' && input.request.operation !== 'CREATE');
}

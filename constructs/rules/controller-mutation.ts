/**
 * Whether a defaulting rule (DefaultResources, DefaultSeccomp) also mutates controllers' pod
 * templates. Off by default, like digest pinning (`pinControllers`): a Deployment, CronJob, … that
 * Argo CD (or any GitOps tool) applies from Git and that the webhook then rewrites differs from Git
 * forever — OutOfSync, or a fight with self-heal. The Pods those controllers create are defaulted at
 * creation either way, and validation judges a controller's template as its Pods will be after those
 * Pod defaults (runtime/engine/pod-defaults-relief.ts), so leaving templates alone denies nothing new.
 */
import type { Target } from '../../runtime/bundle';
import { isPodTarget, type PolicyRule } from './policy-rule';

export interface ControllerMutationProps {
  /**
   * Opt-in: also mutate the pod templates of the policy's controllers (Deployments, CronJobs, …),
   * not only Pods. Argo CD then sees the live template differ from Git: dist/40-webhooks.k8s.yaml
   * carries the `ignoreDifferences` it needs (annotation `portcullis.dev/argocd-ignore-differences`
   * on the MutatingWebhookConfiguration).
   * @default false
   */
  readonly mutateControllers?: boolean;
}

/** A defaulting rule applies to Pods, and to controllers only when the author opted in. */
export function defaultsApplyTo(target: Target, mutateControllers: boolean): boolean {
  return isPodTarget(target) || mutateControllers;
}

/** Settings that would make the opt-in meaningless, or leave the rule applying to nothing. */
export function controllerMutationProblems(rule: PolicyRule, mutateControllers: boolean): string[] {
  const policy = rule.policy;
  const out: string[] = [];
  // Like digest pinning: a default either goes in or does not, so "admit and warn" has no meaning
  // for it; and validation counts only Enforce defaults as what Pods will receive, so an Audit
  // defaults policy would let Pods be defaulted while controllers were judged without the defaults.
  if (policy.mode === 'Audit') {
    out.push(
      `fills in defaults (it rewrites Pods), which contradicts mode Audit (admit and warn only). Fix: set the policy's mode to 'Enforce' (a defaults outage is covered by failurePolicy: 'Ignore'), or remove the rule.`,
    );
  }
  if (mutateControllers && policy.controllers.length === 0) {
    out.push(
      'mutateControllers has no effect: the policy covers no controllers (controllers: [] or match.kinds without controller kinds). Fix: drop mutateControllers, or list the controllers whose templates should be mutated.',
    );
  }
  if (!mutateControllers && !policy.kinds.includes('Pod')) {
    out.push(
      `mutates Pods only (controllers' templates only with mutateControllers: true), but the policy does not match Pods (match.kinds: ${policy.kinds.join(', ')}), so the rule would apply to nothing. Fix: add 'Pod' to match.kinds, or set mutateControllers: true (Argo CD then needs the ignoreDifferences that dist/40-webhooks.k8s.yaml lists).`,
    );
  }
  return out;
}

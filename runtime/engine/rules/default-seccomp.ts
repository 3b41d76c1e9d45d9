/**
 * defaultSeccomp (mutating): gives pods that choose no seccomp profile the runtime's default one.
 *
 * Applies to: the pod or pod template's `spec.securityContext.seccompProfile`.
 * Adds `seccompProfile: { type: RuntimeDefault }` at pod level only when nothing chose a profile:
 * - not the pod (`spec.securityContext.seccompProfile`),
 * - not any container, init container or ephemeral container (`securityContext.seccompProfile`),
 * - not the legacy annotations (`seccomp.security.alpha.kubernetes.io/pod`,
 *   `container.seccomp.security.alpha.kubernetes.io/<name>`) — the API server rejects a pod whose
 *   field and annotation disagree, so an explicit annotation is an explicit choice, too.
 * Pods are mutated at CREATE only (a Pod's securityContext is immutable; see pod-spec-mutability.ts);
 * controllers' pod templates on CREATE and UPDATE when the bundle has controller rules (opt-in
 * `mutateControllers`); otherwise a controller is validated as its Pods will be
 * (../pod-defaults-relief.ts).
 * Never applied to Windows pods (`spec.os.name: windows`): the API server forbids seccomp there.
 * An explicit choice (including `Unconfined`) is never overwritten; validation (Pod Security) judges
 * it. Idempotent: once set, a second pass adds nothing.
 */
import type { DefaultSeccompRule } from '../../bundle';
import { hasOwnField, ownField, ownRecord } from '../own-fields';
import { isRecord } from '../pod-view';
import type { JsonPatchOperation, PodView, RuleFamily, RuleInput } from '../types';
import { mayMutatePodSpec } from './pod-spec-mutability';

function setsProfile(securityContext: unknown): boolean {
  const v = ownField(securityContext, 'seccompProfile');
  return v !== undefined && v !== null;
}

function hasLegacyAnnotation(pod: PodView): boolean {
  const annotations = ownRecord(pod.metadata, 'annotations');
  if (annotations === undefined) return false;
  return Object.keys(annotations).some(
    (k) => k === 'seccomp.security.alpha.kubernetes.io/pod' || k.startsWith('container.seccomp.security.alpha.kubernetes.io/'),
  );
}

export const defaultSeccomp: RuleFamily<DefaultSeccompRule> = {
  mutate: (input: RuleInput<DefaultSeccompRule>): JsonPatchOperation[] => {
    const { rule, pod } = input;
    if (!mayMutatePodSpec(input)) return [];
    if (ownField(ownRecord(pod.spec, 'os'), 'name') === 'windows') return [];
    const podContext = ownField(pod.spec, 'securityContext');
    if (podContext !== undefined && podContext !== null && !isRecord(podContext)) return []; // malformed: leave to validation
    if (setsProfile(podContext)) return [];
    if (pod.containers.some((c) => setsProfile(ownField(c.container, 'securityContext')))) return [];
    if (hasLegacyAnnotation(pod)) return [];
    const profile = { type: rule.profile };
    if (!isRecord(podContext) || !hasOwnField(pod.spec, 'securityContext')) {
      return [{ op: 'add', path: `${pod.specPointer}/securityContext`, value: { seccompProfile: profile } }];
    }
    return [{ op: 'add', path: `${pod.specPointer}/securityContext/seccompProfile`, value: profile }];
  },
};

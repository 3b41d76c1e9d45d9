/**
 * UPDATE relief, in the spirit of the built-in Pod Security admission: an UPDATE that changes
 * nothing a rule reads is not re-evaluated, so a workload admitted earlier (perhaps before a policy
 * existed or under an exemption that has since expired) is not re-denied for a label edit, a
 * status write, a scale or a finalizer change.
 *
 * What a rule reads, compared between `oldObject` and `object` at the rule's target location:
 * - every family: the whole pod spec (containers, initContainers, ephemeralContainers, volumes,
 *   securityContext, host namespaces, …) and the pod metadata's annotations (AppArmor and seccomp
 *   annotations live there);
 * - `requireLabels` additionally: the labels of the object and of its pod template.
 * Any difference in those re-evaluates the rule (stricter than upstream PSA, which for Pods
 * re-evaluates only image and container-count changes). The `ephemeralcontainers` subresource
 * changes the pod spec, so `kubectl debug` is always evaluated. Pure.
 */
import type { Rule } from '../bundle';
import { jsonEqual } from './deep-equal';
import { getPointer, isRecord } from './pod-view';
import type { AdmissionInput } from './types';

function material(object: unknown, rule: Rule): unknown[] {
  const spec = getPointer(object, rule.target.podSpecPath);
  const meta = getPointer(object, rule.target.podMetadataPath);
  const annotations = isRecord(meta) ? meta.annotations : undefined;
  const out: unknown[] = [spec, annotations];
  if (rule.type === 'requireLabels') {
    out.push(isRecord(meta) ? meta.labels : undefined);
    const own = isRecord(object) ? object.metadata : undefined;
    out.push(isRecord(own) ? own.labels : undefined);
  }
  return out;
}

/** true when `input` is an UPDATE that leaves everything `rule` reads unchanged. */
export function isUnchangedForRule(input: AdmissionInput, rule: Rule): boolean {
  if (input.operation !== 'UPDATE' || input.oldObject === undefined || input.oldObject === null) return false;
  return jsonEqual(material(input.object, rule), material(input.oldObject, rule));
}

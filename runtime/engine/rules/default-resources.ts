/**
 * defaultResources (mutating): fills in cpu/memory requests and limits that a container does not
 * set, so every container has the resources the cluster expects.
 *
 * Applies to: `containers` and `initContainers` of the pod or pod template.
 * Not applied to `ephemeralContainers`: the API server forbids resources on them (they run inside
 * the pod's existing budget), so they are left untouched and requireResources skips them too.
 *
 * Rules:
 * - Only absent values are added; a value the author set is never changed, even if malformed
 *   (requireResources reports that).
 * - An explicit `resources.limits: {}` / `null` (or `requests`) is the author's explicit choice and
 *   is left as is, so requireResources still catches it after defaulting instead of it being
 *   silently papered over. (In a live cluster the API server's serialization drops an empty map
 *   before webhooks see it, so this matters for raw manifests checked by the CLIs.)
 * - The result is always admissible: a defaulted request never exceeds the container's limit (only
 *   `limits.cpu: 50m` set and a default request of 100m → request 50m), and a defaulted limit never
 *   drops below an explicit request (request 2Gi, default limit 1Gi → limit 2Gi). When the value it
 *   would compare with is malformed, that resource is not defaulted.
 * - Idempotent: a second pass over the mutated object produces no operations.
 * - Pods are defaulted at CREATE only (their spec is immutable afterwards, so a patch on UPDATE would
 *   make the API server refuse the update); controllers' pod templates on CREATE and UPDATE, when
 *   the bundle has controller rules (opt-in `mutateControllers`: a rewritten template drifts from
 *   Git). Otherwise a controller is validated as its Pods will be (../pod-defaults-relief.ts).
 *
 * Patches are RFC 6902 `add` operations against the admitted object (JSON Pointers located via the
 * rule's target, so Deployments, CronJobs, … are patched in their pod templates).
 */
import type { DefaultResourcesRule, ResourcePair } from '../../bundle';
import { hasOwnField, ownField } from '../own-fields';
import { isRecord } from '../pod-view';
import { compareQuantities, parseQuantity, type Quantity } from '../quantity';
import type { ContainerRef, JsonPatchOperation, RuleFamily, RuleInput } from '../types';
import { mayMutatePodSpec } from './pod-spec-mutability';

const RESOURCES = ['cpu', 'memory'] as const;
type ResourceName = (typeof RESOURCES)[number];

/** State of `resources.limits` / `resources.requests`. */
type Block = { kind: 'absent' } | { kind: 'explicit-empty' } | { kind: 'object'; value: Record<string, unknown> };

function block(resources: unknown, key: 'limits' | 'requests'): Block {
  if (!hasOwnField(resources, key)) return { kind: 'absent' };
  const v = ownField(resources, key);
  if (isRecord(v)) return Object.keys(v).length === 0 ? { kind: 'explicit-empty' } : { kind: 'object', value: v };
  return { kind: 'explicit-empty' }; // null or a non-object: the author's (broken) explicit choice
}

function ruleQuantity(pair: ResourcePair, r: ResourceName, what: string): Quantity | undefined {
  const text = pair[r];
  if (text === undefined) return undefined;
  const parsed = parseQuantity(text);
  if (!parsed.ok) throw new Error(`defaultResources: default ${what}.${r} "${text}" is not a valid quantity: ${parsed.reason}`);
  return parsed.quantity;
}

type Existing = { kind: 'absent' } | { kind: 'valid'; q: Quantity } | { kind: 'invalid' };

function existing(b: Block, r: ResourceName): Existing {
  if (b.kind !== 'object' || !hasOwnField(b.value, r)) return { kind: 'absent' };
  const parsed = parseQuantity(ownField(b.value, r));
  return parsed.ok ? { kind: 'valid', q: parsed.quantity } : { kind: 'invalid' };
}

function smaller(a: Quantity, b: Quantity): Quantity {
  return compareQuantities(a, b) <= 0 ? a : b;
}
function larger(a: Quantity, b: Quantity): Quantity {
  return compareQuantities(a, b) >= 0 ? a : b;
}

/** The values to add for one container: `{ limits: {cpu?, memory?}, requests: {…} }`. */
export function defaultsFor(
  container: Record<string, unknown>,
  rule: Pick<DefaultResourcesRule, 'limits' | 'requests'>,
): { limits: Partial<Record<ResourceName, string>>; requests: Partial<Record<ResourceName, string>> } {
  const resources = ownField(container, 'resources');
  const limits = block(resources, 'limits');
  const requests = block(resources, 'requests');
  const addLimits: Partial<Record<ResourceName, string>> = {};
  const addRequests: Partial<Record<ResourceName, string>> = {};
  for (const r of RESOURCES) {
    const dLimit = ruleQuantity(rule.limits, r, 'limits');
    const dRequest = ruleQuantity(rule.requests, r, 'requests');
    const lim = existing(limits, r);
    const req = existing(requests, r);

    let limit: Existing = lim;
    if (lim.kind === 'absent' && limits.kind !== 'explicit-empty' && dLimit !== undefined && req.kind !== 'invalid') {
      const value = req.kind === 'valid' ? larger(dLimit, req.q) : dLimit;
      addLimits[r] = value.text;
      limit = { kind: 'valid', q: value };
    }
    if (req.kind === 'absent' && requests.kind !== 'explicit-empty' && dRequest !== undefined && limit.kind !== 'invalid') {
      const value = limit.kind === 'valid' ? smaller(dRequest, limit.q) : dRequest;
      addRequests[r] = value.text;
    }
  }
  return { limits: addLimits, requests: addRequests };
}

/** Both blocks hold a (non-null) cpu and memory already: nothing can be added, whatever the rule. */
function fullyResourced(resources: unknown): boolean {
  for (const key of ['limits', 'requests'] as const) {
    const b = ownField(resources, key);
    if (!isRecord(b)) return false;
    for (const r of RESOURCES) if (!hasOwnField(b, r) || b[r] === null) return false;
  }
  return true;
}

/** The patches that add one container's missing defaults, appended to `ops`. */
function patchesFor(c: ContainerRef, rule: DefaultResourcesRule, ops: JsonPatchOperation[]): void {
  const resources = ownField(c.container, 'resources');
  if (resources !== undefined && resources !== null && !isRecord(resources)) return; // malformed: left for validation
  if (fullyResourced(resources)) return;
  const add = defaultsFor(c.container, rule);
  const hasLimits = Object.keys(add.limits).length > 0;
  const hasRequests = Object.keys(add.requests).length > 0;
  if (!hasLimits && !hasRequests) return;
  const base = `${c.pointer}/resources`;
  if (!isRecord(resources)) {
    // absent or null: add the whole object (an `add` replaces a null member)
    const value: Record<string, unknown> = {};
    if (hasLimits) value.limits = add.limits;
    if (hasRequests) value.requests = add.requests;
    ops.push({ op: 'add', path: base, value });
    return;
  }
  for (const key of ['limits', 'requests'] as const) {
    const values = add[key];
    if (Object.keys(values).length === 0) continue;
    if (!isRecord(ownField(resources, key))) {
      ops.push({ op: 'add', path: `${base}/${key}`, value: values });
    } else {
      for (const r of RESOURCES) {
        const v = values[r];
        if (v !== undefined) ops.push({ op: 'add', path: `${base}/${key}/${r}`, value: v });
      }
    }
  }
}

export const defaultResources: RuleFamily<DefaultResourcesRule> = {
  mutate: (input: RuleInput<DefaultResourcesRule>): JsonPatchOperation[] => {
    const ops: JsonPatchOperation[] = [];
    if (!mayMutatePodSpec(input)) return ops;
    for (const c of input.pod.containers) if (c.kind !== 'ephemeralContainers') patchesFor(c, input.rule, ops);
    return ops;
  },
};

/**
 * requireResources (validating): every container must declare the resources the rule lists.
 *
 * Applies to: `containers` and `initContainers`. `ephemeralContainers` are skipped: the API server
 * forbids resources on them (see defaultResources).
 *
 * Checks, each a separate finding (control `requireResources`):
 * - `resources.limits.<cpu|memory>` present for every resource in `rule.limits`; an explicit
 *   `limits: {}` or `limits: null` counts as missing (exemptField `resources.limits`, values = the
 *   missing resource names);
 * - `resources.requests.<cpu|memory>` present for every resource in `rule.requests`;
 * - every cpu/memory value that is set (limits and requests, required or not) is a well-formed,
 *   non-negative Kubernetes quantity (see quantity.ts) — a malformed value is a finding with the
 *   parser's reason, never an exception;
 * - request <= limit when both are set (the API server would reject it anyway; the message is
 *   clearer);
 * - with `maxLimits`, each limit is at most the ceiling (exemptField `resources.limits.<r>`,
 *   values = the offending value, so an exemption can allow one specific larger value).
 * Allowed values: any well-formed quantity >= 0 and <= the ceiling.
 */
import type { RequireResourcesRule } from '../../bundle';
import { hasOwnField, ownField, showValue } from '../own-fields';
import { isRecord } from '../pod-view';
import { compareQuantities, isNegative, parseQuantity, type Quantity } from '../quantity';
import type { ContainerRef, Finding, RuleFamily, RuleInput } from '../types';

const CONTROL = 'requireResources';
const RESOURCES = ['cpu', 'memory'] as const;
type ResourceName = (typeof RESOURCES)[number];

/** The rule's required resources per block, without duplicates, computed once per rule object. */
const requiredOfRule = new WeakMap<RequireResourcesRule, { limits: string[]; requests: string[] }>();

function requiredOf(rule: RequireResourcesRule): { limits: string[]; requests: string[] } {
  let required = requiredOfRule.get(rule);
  if (required === undefined) {
    const unique = (list: readonly string[]): string[] => list.filter((r, i, a) => a.indexOf(r) === i);
    required = { limits: unique(rule.limits), requests: unique(rule.requests) };
    requiredOfRule.set(rule, required);
  }
  return required;
}

/** `container "app"` (a function, so it is built only for findings). */
function containerName(c: ContainerRef): string {
  return `container "${c.name}"`;
}

/** Well-formed, non-negative cpu and memory quantities of one block (limits or requests). */
type Quantities = Partial<Record<ResourceName, Quantity>>;

/**
 * The checks of one block (`limits` or `requests`) into `out`, in order: the block itself, the
 * required resources it lacks, then each cpu/memory value; the well-formed values go into `into`.
 */
function checkBlock(
  c: ContainerRef,
  resources: unknown,
  key: 'limits' | 'requests',
  required: readonly string[],
  out: Finding[],
  into: Quantities,
): void {
  const raw = ownField(resources, key);
  const blockOk = isRecord(raw);
  if (hasOwnField(resources, key) && !blockOk && raw !== null) {
    out.push({
      control: CONTROL,
      container: c,
      field: `${c.field}.resources.${key}`,
      message: `${containerName(c)} resources.${key}=${showValue(raw)} is not allowed: it must be a map of resource quantities`,
    });
  }
  let missing: string[] | undefined;
  for (const r of required) {
    if (!blockOk || !hasOwnField(raw, r) || ownField(raw, r) === null) (missing ??= []).push(r);
  }
  if (missing !== undefined) {
    const explicitEmpty = hasOwnField(resources, key) && (raw === null || (blockOk && Object.keys(raw).length === 0));
    const how = explicitEmpty ? ` (resources.${key} is explicitly ${raw === null ? 'null' : 'empty'})` : '';
    out.push({
      control: CONTROL,
      container: c,
      field: `${c.field}.resources.${key}`,
      exemptField: `resources.${key}`,
      values: missing,
      message: `${containerName(c)} has no ${missing.join(' and ')} ${key === 'limits' ? 'limit' : 'request'}${how}: resources.${key}.${missing.join('/')} is required`,
    });
  }
  if (!blockOk) return;
  for (const r of RESOURCES) {
    if (!hasOwnField(raw, r)) continue;
    const value = ownField(raw, r);
    if (value === null) continue; // reported as missing above when required
    const q = parseQuantity(value);
    if (!q.ok) {
      out.push({
        control: CONTROL,
        container: c,
        field: `${c.field}.resources.${key}.${r}`,
        exemptField: `resources.${key}.${r}`,
        values: [showValue(value)],
        allowed: 'a Kubernetes quantity such as 500m, 2, 128Mi or 1Gi',
        message: `${containerName(c)} resources.${key}.${r}=${showValue(value)} is not a valid quantity (${q.reason})`,
      });
    } else if (isNegative(q.quantity)) {
      out.push({
        control: CONTROL,
        container: c,
        field: `${c.field}.resources.${key}.${r}`,
        exemptField: `resources.${key}.${r}`,
        values: [q.quantity.text],
        allowed: 'a quantity >= 0',
        message: `${containerName(c)} resources.${key}.${r}=${q.quantity.text} is not allowed: quantities must not be negative`,
      });
    } else {
      into[r] = q.quantity;
    }
  }
}

/** One container's findings into `out` (no arrays or closures on the happy path). */
function checkContainer(c: ContainerRef, rule: RequireResourcesRule, out: Finding[]): void {
  const resources = ownField(c.container, 'resources');
  const required = requiredOf(rule);
  const limits: Quantities = {};
  const requests: Quantities = {};
  checkBlock(c, resources, 'limits', required.limits, out, limits);
  checkBlock(c, resources, 'requests', required.requests, out, requests);
  for (const r of RESOURCES) {
    const limit = limits[r];
    const request = requests[r];
    if (limit !== undefined && request !== undefined && compareQuantities(request, limit) > 0) {
      out.push({
        control: CONTROL,
        container: c,
        field: `${c.field}.resources.requests.${r}`,
        allowed: `<= the limit ${limit.text}`,
        message: `${containerName(c)} resources.requests.${r}=${request.text} is not allowed: it exceeds the limit ${limit.text}`,
      });
    }
    const maxText = rule.maxLimits?.[r];
    if (limit !== undefined && maxText !== undefined) {
      const max = parseQuantity(maxText);
      if (!max.ok) throw new Error(`requireResources: maxLimits.${r} "${maxText}" is not a valid quantity: ${max.reason}`);
      if (compareQuantities(limit, max.quantity) > 0) {
        out.push({
          control: CONTROL,
          container: c,
          field: `${c.field}.resources.limits.${r}`,
          exemptField: `resources.limits.${r}`,
          values: [limit.text],
          allowed: `<= ${max.quantity.text}`,
          message: `${containerName(c)} resources.limits.${r}=${limit.text} is not allowed: it exceeds the ceiling ${max.quantity.text}`,
        });
      }
    }
  }
}

export const requireResources: RuleFamily<RequireResourcesRule> = {
  validate: ({ rule, pod }: RuleInput<RequireResourcesRule>): Finding[] => {
    const out: Finding[] = [];
    for (const c of pod.containers) if (c.kind !== 'ephemeralContainers') checkContainer(c, rule, out);
    return out;
  },
};

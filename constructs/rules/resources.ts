import type { ResourcePair, Target } from '../../runtime/bundle';
import type { Policy } from '../policy';
import { compareQuantities, isNegative, parseQuantity } from '../../runtime/engine/quantity';
import { controllerMutationProblems, defaultsApplyTo, type ControllerMutationProps } from './controller-mutation';
import { PolicyRule, type RuleSpec } from './policy-rule';

export type ResourceName = 'cpu' | 'memory';

/** CPU and memory quantities, e.g. `{ cpu: '100m', memory: '128Mi' }`. */
export interface ResourceQuantities {
  readonly cpu?: string;
  readonly memory?: string;
}

export interface DefaultResourcesProps extends ControllerMutationProps {
  /** Requests set on containers that declare none for that resource. */
  readonly requests?: ResourceQuantities;
  /** Limits set on containers that declare none for that resource. */
  readonly limits?: ResourceQuantities;
}

function pair(q: ResourceQuantities | undefined): ResourcePair {
  const out: { cpu?: string; memory?: string } = {};
  if (q?.cpu !== undefined) out.cpu = q.cpu;
  if (q?.memory !== undefined) out.memory = q.memory;
  return out;
}

function quantityProblems(what: string, q: ResourceQuantities | undefined): string[] {
  const out: string[] = [];
  for (const r of ['cpu', 'memory'] as const) {
    const v = q?.[r];
    if (v === undefined) continue;
    const n = parseQuantity(v);
    if (!n.ok) out.push(`${what}.${r} "${v}" is not a Kubernetes quantity (${n.reason}). Fix: write e.g. ${r === 'cpu' ? "'100m' or '1'" : "'128Mi' or '1Gi'"}.`);
    else if (isNegative(n.quantity) || n.quantity.numerator === 0n) out.push(`${what}.${r} "${v}" must be greater than zero. Fix: use a positive quantity.`);
  }
  return out;
}

/**
 * Mutating: fills in the requests and limits a container leaves out (defaults first, then
 * validation). Pods only, unless `mutateControllers` (see controller-mutation.ts for why).
 */
export class DefaultResources extends PolicyRule {
  readonly ruleType = 'defaultResources' as const;
  readonly requests: ResourcePair;
  readonly limits: ResourcePair;
  readonly mutateControllers: boolean;

  constructor(scope: Policy, id: string, props: DefaultResourcesProps) {
    super(scope, id);
    this.requests = pair(props.requests);
    this.limits = pair(props.limits);
    this.mutateControllers = props.mutateControllers ?? false;
  }

  spec(): RuleSpec {
    return { type: 'defaultResources', requests: this.requests, limits: this.limits };
  }

  override appliesTo(target: Target): boolean {
    return defaultsApplyTo(target, this.mutateControllers);
  }

  protected override problems(): string[] {
    const out = [...quantityProblems('requests', this.requests), ...quantityProblems('limits', this.limits)];
    out.push(...controllerMutationProblems(this, this.mutateControllers));
    if (Object.keys(this.requests).length === 0 && Object.keys(this.limits).length === 0) {
      out.push('defaults nothing. Fix: set requests and/or limits (e.g. requests { cpu: "100m", memory: "128Mi" }).');
    }
    for (const r of ['cpu', 'memory'] as const) {
      const req = this.requests[r];
      const lim = this.limits[r];
      if (req === undefined || lim === undefined) continue;
      const a = parseQuantity(req);
      const b = parseQuantity(lim);
      if (a.ok && b.ok && compareQuantities(a.quantity, b.quantity) > 0) {
        out.push(
          `default ${r} request ${req} exceeds the default ${r} limit ${lim}; the API server would reject every pod it defaults. Fix: make the request at most the limit.`,
        );
      }
    }
    return out;
  }
}

export interface RequireResourcesProps {
  /**
   * Resources every container must set a limit for.
   * @default ['cpu', 'memory']
   */
  readonly limits?: readonly ResourceName[];
  /**
   * Resources every container must set a request for.
   * @default []
   */
  readonly requests?: readonly ResourceName[];
  /** Optional ceilings: a container whose limit exceeds these is rejected. */
  readonly maxLimits?: ResourceQuantities;
}

/** Validating: containers must declare limits (and optionally requests), within optional ceilings. */
export class RequireResources extends PolicyRule {
  readonly ruleType = 'requireResources' as const;
  readonly limits: ResourceName[];
  readonly requests: ResourceName[];
  readonly maxLimits: ResourcePair | undefined;

  constructor(scope: Policy, id: string, props: RequireResourcesProps = {}) {
    super(scope, id);
    this.limits = [...new Set<ResourceName>(props.limits ?? ['cpu', 'memory'])].sort();
    this.requests = [...new Set<ResourceName>(props.requests ?? [])].sort();
    this.maxLimits = props.maxLimits === undefined ? undefined : pair(props.maxLimits);
  }

  spec(): RuleSpec {
    const s: RuleSpec = { type: 'requireResources', limits: this.limits, requests: this.requests };
    if (this.maxLimits !== undefined) s.maxLimits = this.maxLimits;
    return s;
  }

  protected override problems(): string[] {
    const out = quantityProblems('maxLimits', this.maxLimits);
    if (this.limits.length === 0 && this.requests.length === 0 && this.maxLimits === undefined) {
      out.push('requires nothing (limits and requests are empty). Fix: list at least one of cpu/memory, or remove the rule.');
    }
    return out;
  }
}

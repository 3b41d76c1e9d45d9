/**
 * A policy: a named set of rules with one mode, one failurePolicy and timeout, and one scope
 * (match/exclude). Rules are declared as child constructs for Pods; autogen expands them at synth
 * into explicit rules for each controller, so the bundle and dist/ show exactly what is enforced.
 */
import { Construct } from 'constructs';
import {
  CONTROLLER_KINDS,
  CONTROLLER_TARGETS,
  POD_TARGET,
  type ControllerKind,
  type Exemption as BundleExemption,
  type FailurePolicy,
  type LabelSelector,
  type Mode,
  type Operation,
  type Policy as BundlePolicy,
  type Target,
} from '../runtime/bundle';
import type { EnforcementTarget } from '../runtime/native';
import { appContext, neverEvaluatedNamespaces } from './app-context';
import { PolicyRule } from './rules/policy-rule';
import { callerLocation, type SourceLocation } from './source-location';
import { checkSelector, negateSelector, unsatisfiableReason } from './selectors';
import { webhookSelectors } from './webhook-groups';

export type WorkloadKind = 'Pod' | ControllerKind;

/** What a policy applies to. Everything set here must match (AND). */
export interface PolicyMatch {
  /**
   * Workload kinds the rules apply to. `Pod` covers Pods and `kubectl debug` (the
   * pods/ephemeralcontainers subresource); each controller kind gets an autogen copy of every rule.
   * @default ['Pod', ...controllers]
   */
  readonly kinds?: readonly WorkloadKind[];
  /**
   * Admission operations.
   * @default ['CREATE', 'UPDATE']
   */
  readonly operations?: readonly Operation[];
  /** Only these namespaces (default: all but the system namespaces and the runtime's own). */
  readonly namespaces?: readonly string[];
  /** Only namespaces whose labels match (evaluated by the API server). */
  readonly namespaceSelector?: LabelSelector;
  /** Only objects whose labels match (evaluated by the API server). */
  readonly objectSelector?: LabelSelector;
}

/** What a policy never applies to, even when it matches. */
export interface PolicyExclude {
  readonly namespaces?: readonly string[];
  /** One requirement at most (it is negated into the webhook's namespaceSelector). */
  readonly namespaceSelector?: LabelSelector;
  /** One requirement at most (it is negated into the webhook's objectSelector). */
  readonly objectSelector?: LabelSelector;
}

export interface PolicyProps {
  /**
   * The policy name (a DNS label) shown in every message: `[name/rule]`.
   * @default the construct id
   */
  readonly name?: string;
  /** What the policy is for; shown to reviewers and in reports. */
  readonly description?: string;
  /**
   * `Enforce` denies violating requests; `Audit` admits them with warnings and audit annotations.
   * Start new policies in Audit, run `portcullis scan`, then flip to Enforce.
   * @default 'Audit'
   */
  readonly mode?: Mode;
  /**
   * What the API server does when the webhook cannot answer (down, timeout, registry error).
   * `Fail` keeps the gate closed; `Ignore` admits.
   * @default 'Fail'
   */
  readonly failurePolicy?: FailurePolicy;
  /**
   * Webhook timeout, 1–30 seconds.
   * @default 10
   */
  readonly timeoutSeconds?: number;
  /** Scope. */
  readonly match?: PolicyMatch;
  /** Carve-outs from the scope (for per-workload relief, prefer an Exemption: it has an owner and an expiry). */
  readonly exclude?: PolicyExclude;
  /**
   * Controllers autogen expands the Pod rules into; `[]` = Pods only.
   * @default all seven: Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob
   */
  readonly controllers?: readonly ControllerKind[];
  /** Where a denied developer asks for an exemption (URL or text); defaults to the app's. */
  readonly exemptionHelp?: string;
  /**
   * Where the validations run: `webhook`, `native` (ValidatingAdmissionPolicy, Kubernetes 1.30+)
   * or `hybrid` (constructs/native-chart.ts).
   * @default the app's `enforcement`
   */
  readonly enforcement?: EnforcementTarget;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE'];
const KIND_ORDER: readonly WorkloadKind[] = ['Pod', ...CONTROLLER_KINDS];

export class Policy extends Construct {
  /** Find every Policy under a construct, in declaration order. */
  static allIn(scope: Construct): Policy[] {
    return scope.node.findAll().filter((c): c is Policy => c instanceof Policy);
  }

  readonly policyName: string;
  readonly mode: Mode;
  readonly failurePolicy: FailurePolicy;
  readonly timeoutSeconds: number;
  readonly location: SourceLocation | undefined;
  private readonly props: PolicyProps;

  constructor(scope: Construct, id: string, props: PolicyProps = {}) {
    super(scope, id);
    this.props = props;
    this.policyName = props.name ?? id;
    this.mode = props.mode ?? 'Audit';
    this.failurePolicy = props.failurePolicy ?? 'Fail';
    this.timeoutSeconds = props.timeoutSeconds ?? 10;
    this.location = callerLocation();
    this.node.addValidation({ validate: () => this.problems() });
  }

  /** The enforcement this policy sets, if any (else the app's). */
  get enforcement(): EnforcementTarget | undefined {
    return this.props.enforcement;
  }

  /** The rule constructs of this policy, in declaration order. */
  get rules(): PolicyRule[] {
    return this.node.children.filter((c): c is PolicyRule => c instanceof PolicyRule);
  }

  /** Workload kinds after defaults, in canonical order (Pod first, then CONTROLLER_KINDS order). */
  get kinds(): WorkloadKind[] {
    const wanted = this.props.match?.kinds ?? ['Pod', ...(this.props.controllers ?? CONTROLLER_KINDS)];
    const set = new Set(wanted);
    return KIND_ORDER.filter((k) => set.has(k));
  }

  /** Controllers autogen covers. */
  get controllers(): ControllerKind[] {
    return this.kinds.filter((k): k is ControllerKind => k !== 'Pod');
  }

  /** Resources the rules are evaluated on: the Pod target and one per controller. */
  get targets(): Target[] {
    return this.kinds.map((k) => (k === 'Pod' ? POD_TARGET : CONTROLLER_TARGETS[k]));
  }

  get operations(): Operation[] {
    const set = new Set(this.props.match?.operations ?? OPERATIONS);
    return OPERATIONS.filter((o) => set.has(o));
  }

  /** The bundle encoding, with the given exemptions (already resolved for this policy). */
  toBundlePolicy(exemptions: readonly BundleExemption[], defaultExemptionHelp: string | undefined): BundlePolicy {
    const p = this.props;
    const match: BundlePolicy['match'] = { kinds: this.kinds, operations: this.operations };
    if (p.match?.namespaces !== undefined) match.namespaces = [...new Set(p.match.namespaces)].sort();
    if (p.match?.namespaceSelector !== undefined) match.namespaceSelector = p.match.namespaceSelector;
    if (p.match?.objectSelector !== undefined) match.objectSelector = p.match.objectSelector;
    const out: BundlePolicy = {
      name: this.policyName,
      mode: this.mode,
      failurePolicy: this.failurePolicy,
      timeoutSeconds: this.timeoutSeconds,
      controllers: this.controllers,
      match,
      rules: this.targets.flatMap((t) => this.rules.filter((r) => r.appliesTo(t)).map((r) => r.toRule(t))),
      exemptions: [...exemptions],
    };
    if (p.description !== undefined) out.description = p.description;
    const file = this.location?.file;
    out.source = file === undefined ? this.node.path : `${file} (${this.node.path})`;
    const exclude: NonNullable<BundlePolicy['exclude']> = {};
    if (p.exclude?.namespaces !== undefined) exclude.namespaces = [...new Set(p.exclude.namespaces)].sort();
    if (p.exclude?.namespaceSelector !== undefined) exclude.namespaceSelector = p.exclude.namespaceSelector;
    if (p.exclude?.objectSelector !== undefined) exclude.objectSelector = p.exclude.objectSelector;
    if (Object.keys(exclude).length > 0) out.exclude = exclude;
    const help = p.exemptionHelp ?? defaultExemptionHelp;
    if (help !== undefined) out.exemptionHelp = help;
    return out;
  }

  private problems(): string[] {
    const p = this.props;
    const out: string[] = [];
    if (!NAME.test(this.policyName) || this.policyName.length > 63) {
      out.push(`policy name "${this.policyName}" is not a lowercase DNS label (a-z, 0-9, '-', at most 63). Fix: rename it, e.g. "pod-security".`);
    }
    if (!Number.isInteger(this.timeoutSeconds) || this.timeoutSeconds < 1 || this.timeoutSeconds > 30) {
      out.push(`timeoutSeconds ${this.timeoutSeconds} is outside 1–30 (the API server's limit). Fix: set timeoutSeconds to a whole number between 1 and 30.`);
    }
    if (this.rules.length === 0) {
      out.push('has no rules. Fix: add a rule construct (e.g. new PodSecurity(policy, "restricted")) or remove the policy.');
    }
    if (p.match?.kinds !== undefined && p.controllers !== undefined) {
      const fromKinds = this.controllers.join(',');
      const declared = CONTROLLER_KINDS.filter((k) => p.controllers?.includes(k)).join(',');
      if (fromKinds !== declared) {
        out.push(`match.kinds lists controllers [${fromKinds}] but controllers is [${declared}]. Fix: set only one of match.kinds and controllers.`);
      }
    }
    if (this.kinds.length === 0) out.push('match.kinds is empty, so the policy applies to nothing. Fix: list Pod and/or controller kinds.');
    if (this.operations.length === 0) out.push('match.operations is empty, so the policy applies to nothing. Fix: use CREATE and/or UPDATE.');
    const unknownKinds = (p.match?.kinds ?? []).filter((k) => !KIND_ORDER.includes(k));
    if (unknownKinds.length > 0) out.push(`match.kinds has unknown kinds ${unknownKinds.join(', ')}. Fix: use ${KIND_ORDER.join(', ')}.`);
    out.push(...this.scopeProblems());
    return out;
  }

  private scopeProblems(): string[] {
    const p = this.props;
    const out: string[] = [];
    const never = neverEvaluatedNamespaces(appContext(this));
    for (const ns of [...(p.match?.namespaces ?? []), ...(p.exclude?.namespaces ?? [])]) {
      if (!NAME.test(ns) || ns.length > 63) out.push(`namespace "${ns}" is not a valid namespace name. Fix: use a lowercase DNS label.`);
    }
    if (p.match?.namespaces !== undefined) {
      const excluded = new Set([...never, ...(p.exclude?.namespaces ?? [])]);
      const left = p.match.namespaces.filter((ns) => !excluded.has(ns));
      if (left.length === 0) {
        out.push(
          `match.namespaces [${p.match.namespaces.join(', ')}] contains only namespaces that are excluded (${[...excluded].join(', ')}), so the policy matches nothing. Fix: list namespaces where workloads run.`,
        );
      }
    }
    for (const [what, sel] of [
      ['match.namespaceSelector', p.match?.namespaceSelector],
      ['match.objectSelector', p.match?.objectSelector],
      ['exclude.namespaceSelector', p.exclude?.namespaceSelector],
      ['exclude.objectSelector', p.exclude?.objectSelector],
    ] as const) {
      if (sel === undefined) continue;
      out.push(...checkSelector(sel, what).map((e) => `${e}. Fix: correct the selector.`));
      if (what.startsWith('match')) {
        const why = unsatisfiableReason(sel);
        if (why !== undefined) out.push(`${what} matches nothing by construction: ${why}. Fix: remove the contradictory requirement.`);
      } else {
        const neg = negateSelector(sel);
        if (typeof neg === 'string') {
          out.push(`${what}: ${neg}. Fix: use a single requirement (e.g. matchLabels with one label), or narrow match instead.`);
        }
      }
    }
    if (out.length === 0) {
      const bp = this.toBundlePolicy([], undefined);
      const sel = webhookSelectors(bp.match, bp.exclude, never);
      if (typeof sel === 'string') out.push(`${sel}. Fix: loosen match or narrow exclude.`);
    }
    return out;
  }
}

/**
 * An exemption: a narrow, owned, expiring relief from specific controls of specific policies, for
 * specific workloads. Everything about it is in the bundle, so a PR that adds or widens one shows
 * up in review (and in `portcullis diff`).
 */
import { Construct } from 'constructs';
import { isPssControl, PSS_CONTROLS, type Exemption as BundleExemption, type LabelSelector, type PssControl, type RuleType } from '../runtime/bundle';
import { appContext, neverEvaluatedNamespaces } from './app-context';
import { Policy } from './policy';
import { globProblems } from './rules/image-references';
import { checkSelector, unsatisfiableReason } from './selectors';
import { callerLocation, type SourceLocation } from './source-location';
import { closest } from './suggest';

/** One control relieved, optionally only for some images and only for some values of one field. */
export interface ExemptedControl {
  /**
   * A Pod Security control ID (e.g. `capabilities_restricted`, see runtime/bundle/pss-controls.ts)
   * or, for other rule families, the rule type (e.g. `hostPaths`).
   */
  readonly control: PssControl | RuleType;
  /** Only containers whose image matches one of these globs (container-level controls only). */
  readonly images?: readonly string[];
  /** Only these values of this field are relieved (e.g. field `capabilities.add`, values `['NET_ADMIN']`); others still fail. */
  readonly field?: string;
  readonly values?: readonly string[];
}

export interface ExemptionProps {
  /** Who owns the exemption and answers for it (team or person). */
  readonly owner: string;
  /** Why it is needed; shown in reviews, reports and messages. */
  readonly reason: string;
  /** RFC 3339 time (or Date) after which it stops applying; synth fails once it has passed. */
  readonly expiresAt?: string | Date;
  /**
   * The policies it relieves. Defaults to the enclosing Policy when declared inside one.
   */
  readonly policies?: readonly Policy[];
  /** Only in these namespaces. */
  readonly namespaces?: readonly string[];
  /** Only in namespaces whose labels match. */
  readonly namespaceSelector?: LabelSelector;
  /** Only for objects whose labels match. */
  readonly objectSelector?: LabelSelector;
  /** What it relieves. Required unless `allControls` is set. */
  readonly controls?: readonly ExemptedControl[];
  /**
   * Relieve the whole policy within the scope (every control). Deliberately explicit.
   * @default false
   */
  readonly allControls?: boolean;
}

/** Pod-level PSS controls: they concern the pod, not one container, so `images` cannot narrow them. */
const POD_LEVEL_CONTROLS: ReadonlySet<string> = new Set(['hostNamespaces', 'hostPathVolumes', 'restrictedVolumes', 'sysctls']);
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class Exemption extends Construct {
  static allIn(scope: Construct): Exemption[] {
    return scope.node.findAll().filter((c): c is Exemption => c instanceof Exemption);
  }

  readonly exemptionName: string;
  readonly location: SourceLocation | undefined;
  private readonly props: ExemptionProps;

  constructor(scope: Construct, id: string, props: ExemptionProps) {
    super(scope, id);
    this.exemptionName = id;
    this.props = props;
    this.location = callerLocation();
    this.node.addValidation({ validate: () => this.problems() });
  }

  /** The policies this exemption relieves. */
  get policies(): Policy[] {
    const list = [...(this.props.policies ?? [])];
    const parent = this.node.scope;
    if (parent instanceof Policy && !list.includes(parent)) list.unshift(parent);
    return list;
  }

  /** The bundle encoding (the same for every policy it applies to). */
  toBundleExemption(): BundleExemption {
    const p = this.props;
    const out: BundleExemption = {
      name: this.exemptionName,
      owner: p.owner,
      reason: p.reason,
      controls: (p.controls ?? []).map((c) => {
        const x: BundleExemption['controls'][number] = { control: c.control };
        if (c.images !== undefined) x.images = [...c.images];
        if (c.field !== undefined) x.field = c.field;
        if (c.values !== undefined) x.values = [...c.values];
        return x;
      }),
    };
    const exp = this.expiry();
    if (exp !== undefined && !Number.isNaN(exp.getTime())) out.expiresAt = exp.toISOString().replace('.000Z', 'Z');
    if (p.namespaces !== undefined) out.namespaces = [...new Set(p.namespaces)].sort();
    if (p.namespaceSelector !== undefined) out.namespaceSelector = p.namespaceSelector;
    if (p.objectSelector !== undefined) out.objectSelector = p.objectSelector;
    return out;
  }

  /** Who answers for the exemption. */
  get owner(): string {
    return this.props.owner;
  }

  /** The expiry as a Date (undefined when none is set; an invalid Date when malformed). */
  get expiresAt(): Date | undefined {
    return this.expiry();
  }

  private expiry(): Date | undefined {
    const e = this.props.expiresAt;
    if (e === undefined) return undefined;
    if (e instanceof Date) return e;
    return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(e) ? new Date(e) : new Date(NaN);
  }

  private problems(): string[] {
    const p = this.props;
    const out: string[] = [];
    if (!NAME.test(this.exemptionName)) out.push(`exemption name "${this.exemptionName}" is not a lowercase DNS label. Fix: rename the construct id.`);
    if (p.owner.trim() === '') out.push('owner is empty. Fix: name the team or person who answers for this exemption.');
    if (p.reason.trim() === '') out.push('reason is empty. Fix: say why the workload needs it.');
    const exp = this.expiry();
    if (exp !== undefined) {
      const now = appContext(this).now();
      if (Number.isNaN(exp.getTime())) {
        out.push(`expiresAt "${String(p.expiresAt)}" is not an RFC 3339 time. Fix: write e.g. "2027-03-31T00:00:00Z".`);
      } else if (exp.getTime() <= now.getTime()) {
        out.push(
          `expired at ${exp.toISOString()} (now ${now.toISOString()}). Fix: remove the exemption, or (after review) move expiresAt into the future.`,
        );
      }
    }
    const policies = this.policies;
    if (policies.length === 0) out.push('applies to no policy. Fix: declare it inside a Policy or pass policies: [...].');
    const controls = p.controls ?? [];
    if (p.allControls === true && controls.length > 0) out.push('sets both allControls and controls. Fix: keep one of them.');
    if (p.allControls !== true && controls.length === 0) {
      out.push('lists no controls. Fix: name the controls it relieves, or set allControls: true to relieve the whole policy (deliberately).');
    }
    const ruleTypes = new Set(policies.flatMap((pol) => pol.rules.map((r) => r.ruleType)));
    const hasPss = ruleTypes.has('podSecurity');
    const known = [...(hasPss ? PSS_CONTROLS : []), ...[...ruleTypes].filter((t) => t !== 'podSecurity')];
    for (const c of controls) {
      if (isPssControl(c.control)) {
        if (!hasPss) out.push(`control "${c.control}" is a Pod Security control, but none of its policies has a podSecurity rule. Fix: apply it to the pod security policy.`);
      } else if (!(ruleTypes as Set<string>).has(c.control)) {
        const hint = closest(c.control, known);
        out.push(
          `unknown control "${c.control}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}. Fix: use one of ${known.join(', ')}.`,
        );
      }
      if (c.images !== undefined) {
        if (c.images.length === 0) out.push(`control "${c.control}" has an empty images list. Fix: list image globs or drop images.`);
        if (POD_LEVEL_CONTROLS.has(c.control)) {
          out.push(`control "${c.control}" concerns the whole pod, so images cannot narrow it. Fix: narrow by namespaces or objectSelector instead.`);
        }
        out.push(...globProblems(`control "${c.control}" images`, c.images));
      }
      if ((c.field === undefined) !== (c.values === undefined)) {
        out.push(`control "${c.control}" sets ${c.field === undefined ? 'values without field' : 'field without values'}. Fix: set both (e.g. field "capabilities.add", values ["NET_ADMIN"]) or neither.`);
      }
      if (c.values !== undefined && c.values.length === 0) out.push(`control "${c.control}" has an empty values list. Fix: list the values it allows.`);
    }
    const scoped =
      (p.namespaces?.length ?? 0) > 0 || p.namespaceSelector !== undefined || p.objectSelector !== undefined || controls.some((c) => c.images !== undefined);
    if (!scoped) {
      out.push('applies to every workload in the cluster. Fix: narrow it with namespaces, namespaceSelector, objectSelector or per-control images.');
    }
    const never = neverEvaluatedNamespaces(appContext(this));
    for (const ns of p.namespaces ?? []) {
      if (!NAME.test(ns)) out.push(`namespace "${ns}" is not a valid namespace name. Fix: use a lowercase DNS label.`);
      if (never.includes(ns)) out.push(`namespace "${ns}" is never evaluated by admission, so exempting it does nothing. Fix: remove it.`);
    }
    for (const [what, sel] of [
      ['namespaceSelector', p.namespaceSelector],
      ['objectSelector', p.objectSelector],
    ] as const) {
      if (sel === undefined) continue;
      out.push(...checkSelector(sel, what).map((e) => `${e}. Fix: correct the selector.`));
      const why = unsatisfiableReason(sel);
      if (why !== undefined) out.push(`${what} matches nothing by construction: ${why}. Fix: remove the contradictory requirement.`);
    }
    return out;
  }
}

/**
 * Aggregating scan results by policy/rule and by namespace, counting each workload once.
 *
 * Controller-owned objects are folded into their controller: a Pod (or ReplicaSet, or Job) whose
 * managing controller (`ownerReferences[].controller`) is also in the input is not counted on its
 * own — its controller's template is what admission would check when the pods are re-created. A
 * Pod owned by a ReplicaSet that is not in the input (`kubectl get pods,deploy,…` lists no
 * ReplicaSets) is folded into the Deployment the ReplicaSet belongs to, found by the Deployment
 * controller's naming (`<deployment>-<pod-template-hash>`); a Job owned by a CronJob likewise.
 * Objects whose controller is not in the input (bare pods, pods of an operator's custom resource)
 * are counted themselves.
 */
import type { Exemption, Mode, RuleType } from '../bundle';
import type { WorkloadResult } from './scan-evaluate';
import { objectKey, type ResourceRef } from './workload';

export interface ScanCounts {
  /** Objects read from the input (List items count one each). */
  objects: number;
  /** Objects Portcullis does not evaluate (Services, ConfigMaps, Namespaces, …). */
  ignored: number;
  /** Workloads in namespaces admission never evaluates (kube-system, the runtime's namespace, …). */
  excluded: number;
  /** Workloads evaluated and counted. */
  workloads: number;
  /** Workloads evaluated but counted with their controller. */
  folded: number;
  /** Counted workloads that would be denied. */
  blocked: number;
}

export interface RuleAggregate {
  policy: string;
  rule: string;
  ruleType: RuleType;
  /** The policy's mode in the bundle (Audit rules show what flipping to Enforce would block). */
  bundleMode: Mode;
  /** Counted workloads with at least one finding of this rule. */
  workloads: number;
  /** Findings (one per container/field) of this rule. */
  findings: number;
  /** Evaluation errors (e.g. registry unreachable) of this rule. */
  errors: number;
  namespaces: string[];
}

export interface NamespaceAggregate {
  /** `""` for cluster-scoped objects. */
  namespace: string;
  /** Counted workloads in this namespace. */
  workloads: number;
  blocked: number;
  findings: number;
  /** Rules with findings here, most workloads first. */
  rules: Array<{ policy: string; rule: string; workloads: number }>;
}

/**
 * One exemption's use across the counted workloads: the findings it relieved are counted here,
 * apart from the findings above (an exempted finding is neither blocked nor warned about).
 */
export interface ExemptionAggregate {
  policy: string;
  exemption: string;
  owner: string;
  reason: string;
  expiresAt?: string;
  /** Rules (as authors named them) whose findings it relieved. */
  rules: string[];
  controls: string[];
  /** Counted workloads it relieved findings of. */
  workloads: number;
  /** Findings it relieved entirely. */
  findings: number;
  /** Findings it relieved only partly (some values; the rest is still a finding above). */
  partial: number;
  namespaces: string[];
  /** The workloads it relieved, in input order. */
  resources: ResourceRef[];
}

export interface ScanResult {
  counts: ScanCounts;
  rules: RuleAggregate[];
  namespaces: NamespaceAggregate[];
  /** Counted workloads, in input order (only those with findings or errors unless passes were kept). */
  workloads: WorkloadResult[];
  /** Counted workloads not in `workloads` (no findings left) whose findings exemptions relieved. */
  exemptedOnly: WorkloadResult[];
  /** Each exemption that relieved findings, with what and whom it relieved; by policy, then name. */
  exemptions: ExemptionAggregate[];
}

function hasFindings(r: WorkloadResult): boolean {
  return r.violations.length > 0 || r.warnings.length > 0 || r.errors.length > 0;
}

function usedExemptions(r: WorkloadResult): boolean {
  return r.exemptions.length > 0;
}

export class ScanAccumulator {
  private readonly counts: ScanCounts = { objects: 0, ignored: 0, excluded: 0, workloads: 0, folded: 0, blocked: 0 };
  private readonly records: WorkloadResult[] = [];
  private readonly present = new Set<string>();
  private readonly perNamespace = new Map<string, number>();

  /** `keepPasses`: keep workloads without findings (for `--all`); otherwise only their identity is kept. */
  constructor(private readonly keepPasses: boolean) {}

  object(): void {
    this.counts.objects += 1;
  }
  ignored(): void {
    this.counts.ignored += 1;
  }
  excluded(): void {
    this.counts.excluded += 1;
  }

  add(result: WorkloadResult): void {
    this.present.add(objectKey(result.ref.kind, result.ref.namespace, result.ref.name));
    if (this.keepPasses || hasFindings(result) || usedExemptions(result) || result.owner !== undefined) {
      this.records.push(this.keepPasses || hasFindings(result) ? result : { ...result, results: [] });
    } else {
      // counted, nothing to report: keep nothing but the count
      this.counts.workloads += 1;
      this.countIn(result.ref.namespace);
    }
  }

  private countIn(namespace: string | undefined): void {
    const ns = namespace ?? '';
    this.perNamespace.set(ns, (this.perNamespace.get(ns) ?? 0) + 1);
  }

  /** Is this record's controller (or its Deployment / CronJob) in the input? */
  private folded(r: WorkloadResult): boolean {
    const owner = r.owner;
    if (owner === undefined) return false;
    const ns = r.ref.namespace;
    if (this.present.has(objectKey(owner.kind, ns, owner.name))) return true;
    if (owner.kind === 'ReplicaSet' && r.podTemplateHash !== undefined && owner.name.endsWith(`-${r.podTemplateHash}`)) {
      const deployment = owner.name.slice(0, -(r.podTemplateHash.length + 1));
      return this.present.has(objectKey('Deployment', ns, deployment));
    }
    if (owner.kind === 'Job') {
      const m = /^(.+)-\d+$/.exec(owner.name);
      return m !== null && this.present.has(objectKey('CronJob', ns, m[1]));
    }
    return false;
  }

  finish(bundleModes: ReadonlyMap<string, Mode>): ScanResult {
    const counts = { ...this.counts };
    const workloads: WorkloadResult[] = [];
    const exemptedOnly: WorkloadResult[] = [];
    for (const r of this.records) {
      if (this.folded(r)) {
        counts.folded += 1;
        continue;
      }
      counts.workloads += 1;
      this.countIn(r.ref.namespace);
      if (r.blocked) counts.blocked += 1;
      if (this.keepPasses || hasFindings(r)) workloads.push(r);
      else if (usedExemptions(r)) exemptedOnly.push(r);
    }
    return {
      counts,
      rules: aggregateRules(workloads, bundleModes),
      namespaces: aggregateNamespaces(workloads, this.perNamespace),
      workloads,
      exemptedOnly,
      exemptions: aggregateExemptions([...workloads, ...exemptedOnly]),
    };
  }
}

function ruleKey(policy: string, rule: string): string {
  return `${policy}/${rule}`;
}

function aggregateRules(workloads: readonly WorkloadResult[], bundleModes: ReadonlyMap<string, Mode>): RuleAggregate[] {
  const out = new Map<string, RuleAggregate & { ns: Set<string> }>();
  const get = (policy: string, rule: string, ruleType: RuleType) => {
    const key = ruleKey(policy, rule);
    let agg = out.get(key);
    if (agg === undefined) {
      agg = { policy, rule, ruleType, bundleMode: bundleModes.get(policy) ?? 'Enforce', workloads: 0, findings: 0, errors: 0, namespaces: [], ns: new Set() };
      out.set(key, agg);
    }
    return agg;
  };
  for (const w of workloads) {
    const touched = new Set<string>();
    for (const v of [...w.violations, ...w.warnings]) {
      const agg = get(v.policy, v.rule, v.ruleType);
      agg.findings += 1;
      agg.ns.add(w.ref.namespace ?? '');
      if (!touched.has(ruleKey(v.policy, v.rule))) {
        touched.add(ruleKey(v.policy, v.rule));
        agg.workloads += 1;
      }
    }
    for (const e of w.errors) {
      const type = w.results.find((r) => r.policy === e.policy && r.rule === e.rule)?.ruleType ?? 'verifyImages';
      const agg = get(e.policy, e.rule, type);
      agg.errors += 1;
      agg.ns.add(w.ref.namespace ?? '');
      if (!touched.has(ruleKey(e.policy, e.rule))) {
        touched.add(ruleKey(e.policy, e.rule));
        agg.workloads += 1;
      }
    }
  }
  return [...out.values()]
    .map(({ ns, ...agg }) => ({ ...agg, namespaces: [...ns].sort() }))
    .sort((a, b) => b.workloads - a.workloads || (ruleKey(a.policy, a.rule) < ruleKey(b.policy, b.rule) ? -1 : 1));
}

function aggregateNamespaces(workloads: readonly WorkloadResult[], totals: ReadonlyMap<string, number>): NamespaceAggregate[] {
  const out = new Map<string, NamespaceAggregate & { byRule: Map<string, { policy: string; rule: string; workloads: number }> }>();
  for (const [ns, n] of totals) out.set(ns, { namespace: ns, workloads: n, blocked: 0, findings: 0, rules: [], byRule: new Map() });
  for (const w of workloads) {
    const agg = out.get(w.ref.namespace ?? '');
    if (agg === undefined) continue;
    if (w.blocked) agg.blocked += 1;
    const findings = [...w.violations, ...w.warnings];
    agg.findings += findings.length;
    const rules = new Set([...findings, ...w.errors].map((f) => ruleKey(f.policy, f.rule)));
    for (const f of [...findings, ...w.errors]) {
      const key = ruleKey(f.policy, f.rule);
      if (!rules.has(key)) continue;
      rules.delete(key);
      const entry = agg.byRule.get(key) ?? { policy: f.policy, rule: f.rule, workloads: 0 };
      entry.workloads += 1;
      agg.byRule.set(key, entry);
    }
  }
  return [...out.values()]
    .map(({ byRule, ...agg }) => ({
      ...agg,
      rules: [...byRule.values()].sort((a, b) => b.workloads - a.workloads || (ruleKey(a.policy, a.rule) < ruleKey(b.policy, b.rule) ? -1 : 1)),
    }))
    .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
}

function aggregateExemptions(workloads: readonly WorkloadResult[]): ExemptionAggregate[] {
  const out = new Map<Exemption, ExemptionAggregate & { ns: Set<string>; seen: Set<WorkloadResult> }>();
  for (const w of workloads) {
    for (const a of w.exemptions) {
      let agg = out.get(a.exemption);
      if (agg === undefined) {
        const e = a.exemption;
        agg = {
          policy: a.policy,
          exemption: e.name,
          owner: e.owner,
          reason: e.reason,
          ...(e.expiresAt !== undefined ? { expiresAt: e.expiresAt } : {}),
          rules: [],
          controls: [],
          workloads: 0,
          findings: 0,
          partial: 0,
          namespaces: [],
          resources: [],
          ns: new Set(),
          seen: new Set(),
        };
        out.set(a.exemption, agg);
      }
      if (!agg.rules.includes(a.rule)) agg.rules.push(a.rule);
      for (const c of a.controls) if (!agg.controls.includes(c)) agg.controls.push(c);
      agg.findings += a.relieved;
      agg.partial += a.partial;
      if (!agg.seen.has(w)) {
        agg.seen.add(w);
        agg.workloads += 1;
        agg.resources.push(w.ref);
        agg.ns.add(w.ref.namespace ?? '');
      }
    }
  }
  return [...out.values()]
    .map(({ ns, seen: _seen, ...agg }) => ({ ...agg, namespaces: [...ns].sort() }))
    .sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : a.exemption < b.exemption ? -1 : a.exemption > b.exemption ? 1 : 0));
}

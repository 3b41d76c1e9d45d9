/**
 * Scan results for people (an aligned table) and machines (a JSON/YAML document). Pure.
 */
import { exemptionUseRecord, type ExemptionUseRecord } from '../engine/exemption-use';
import { exemptionLabel } from '../engine/exemption-use';
import type { AppliedExemption, Violation } from '../engine/types';
import type { Inventory } from './exemption-inventory';
import type { ExemptionAggregate, ScanResult } from './scan-aggregate';
import type { ScanPolicies, WorkloadResult } from './scan-evaluate';
import { refText, type ResourceRef } from './workload';

export interface RenderOptions {
  /** Policies were evaluated as Enforce (the default) rather than with the bundle's modes. */
  asEnforce: boolean;
  /** List every blocked workload with its messages. */
  details: boolean;
  /** Namespaces whose labels were not known (selectors saw only kubernetes.io/metadata.name). */
  unlabelledNamespaces: readonly string[];
  /** The bundle's exemption inventory as of `--now` (JSON/YAML/HTML print it; the table does not). */
  inventory?: Inventory;
}

function table(header: string[], rows: string[][], numeric: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function nsName(ns: string): string {
  return ns === '' ? '(cluster)' : ns;
}

export function renderScanTable(scan: ScanResult, policies: ScanPolicies, options: RenderOptions): string {
  const c = scan.counts;
  const out: string[] = [];
  out.push(
    `Scanned ${c.objects} objects: ${c.workloads} workloads evaluated` +
      (c.folded > 0 ? ` (${c.folded} more counted with their controllers)` : '') +
      (c.excluded > 0 ? `, ${c.excluded} in excluded namespaces` : '') +
      (c.ignored > 0 ? `, ${c.ignored} other objects ignored` : '') +
      '.',
  );
  out.push(
    options.asEnforce
      ? 'Every policy was evaluated as Enforce: Audit policies show what they WOULD block.'
      : 'Policies were evaluated with their bundle modes: only Enforce policies block.',
  );
  const nsWith = scan.namespaces.filter((n) => n.blocked > 0).length;
  out.push('');
  out.push(
    c.blocked === 0
      ? `Nothing would be blocked (${c.workloads} workloads in ${scan.namespaces.length} namespaces).`
      : `WOULD BE BLOCKED: ${c.blocked} of ${c.workloads} workloads in ${nsWith} of ${scan.namespaces.length} namespaces.`,
  );
  if (scan.rules.length > 0) {
    out.push('');
    out.push(
      ...table(
        ['POLICY/RULE', 'MODE', 'WORKLOADS', 'NAMESPACES', 'FINDINGS', 'ERRORS'],
        scan.rules.map((r) => [
          `${r.policy}/${r.rule}`,
          r.bundleMode,
          String(r.workloads),
          String(r.namespaces.length),
          String(r.findings),
          String(r.errors),
        ]),
        new Set([2, 3, 4, 5]),
      ),
    );
  }
  if (scan.exemptions.length > 0) {
    const relieved = scan.exemptions.reduce((n, e) => n + e.findings, 0);
    const workloads = new Set(scan.exemptions.flatMap((e) => e.resources)).size;
    out.push('');
    out.push(
      `EXEMPTED (not counted above): ${relieved} finding(s) in ${workloads} workload(s) relieved by ${scan.exemptions.length} exemption(s).`,
    );
    out.push('');
    out.push(
      ...table(
        ['POLICY/EXEMPTION', 'OWNER', 'EXPIRES', 'WORKLOADS', 'FINDINGS', 'PARTLY', 'RULES'],
        scan.exemptions.map((e) => [
          `${e.policy}/${e.exemption}`,
          e.owner,
          e.expiresAt ?? 'never',
          String(e.workloads),
          String(e.findings),
          String(e.partial),
          e.rules.join(', '),
        ]),
        new Set([3, 4, 5]),
      ),
    );
  }
  const affected = scan.namespaces.filter((n) => n.findings > 0 || n.blocked > 0);
  if (affected.length > 0) {
    out.push('');
    out.push(
      ...table(
        ['NAMESPACE', 'WORKLOADS', 'BLOCKED', 'FINDINGS', 'TOP RULES'],
        affected.map((n) => [
          nsName(n.namespace),
          String(n.workloads),
          String(n.blocked),
          String(n.findings),
          n.rules
            .slice(0, 3)
            .map((r) => `${r.policy}/${r.rule} (${r.workloads})`)
            .join(', '),
        ]),
        new Set([1, 2, 3]),
      ),
    );
  }
  if (options.details) {
    const listed = scan.workloads.filter((x) => x.violations.length + x.warnings.length + x.errors.length + x.exemptions.length > 0);
    for (const w of [...listed, ...scan.exemptedOnly]) {
      out.push('', `${refText(w.ref)}${w.blocked ? ' — would be blocked' : ''}`);
      for (const v of [...w.violations, ...w.warnings]) out.push(`  ${v.message}`);
      for (const e of w.errors) out.push(`  [${e.policy}/${e.rule}] could not be evaluated: ${e.message}`);
      for (const a of w.exemptions) out.push(`  ${exemptedLine(a)}`);
    }
  } else if (c.blocked > 0) {
    out.push('', 'Per-workload messages: --details, -o json or -o policyreport.');
  }
  const notes: string[] = [];
  if (policies.skippedSignatureRules.length > 0) {
    notes.push(
      `Signature checks were not run (${policies.skippedSignatureRules.join(', ')}): pass --verify-images to contact the registries the policies name.`,
    );
  }
  if (options.unlabelledNamespaces.length > 0) {
    notes.push(
      `Labels unknown for ${options.unlabelledNamespaces.length} namespace(s) (${options.unlabelledNamespaces.slice(0, 5).join(', ')}${options.unlabelledNamespaces.length > 5 ? ', …' : ''}): namespaceSelectors saw only kubernetes.io/metadata.name. Include "ns" in kubectl get, or pass --namespace-labels.`,
    );
  }
  if (notes.length > 0) out.push('', ...notes.map((n) => `Note: ${n}`));
  return `${out.join('\n')}\n`;
}

/** `[pod-security/restricted] exempted capabilities_restricted: network-tools (owner …, expires …)`. */
export function exemptedLine(a: AppliedExemption): string {
  return `[${a.policy}/${a.rule}] ${a.relieved === 0 ? 'partly exempted' : 'exempted'} ${a.controls.join(', ')}: ${exemptionLabel(a.exemption)}`;
}

/** One exemption used by one workload, in JSON/YAML output. */
export type ScanJsonExemption = ExemptionUseRecord;

export interface ScanJsonViolation {
  policy: string;
  rule: string;
  ruleType: Violation['ruleType'];
  control: string;
  container?: string;
  field: string;
  message: string;
  expiredExemption?: string;
}

export interface ScanJson {
  apiVersion: 'portcullis.dev/v1alpha1';
  kind: 'ScanResult';
  mode: 'enforce' | 'bundle';
  counts: ScanResult['counts'];
  skippedSignatureRules: string[];
  unlabelledNamespaces: string[];
  rules: ScanResult['rules'];
  /** The rules' findings per policy: workloads with a finding or error of the policy, counted once. */
  policies: ScanJsonPolicy[];
  namespaces: ScanResult['namespaces'];
  /** The most frequent violation/warning messages (exact text), most findings first. */
  topMessages: ScanJsonMessage[];
  /** Every exemption of the bundle with expiry, days left and status as of `--now` (`portcullis exemptions`' rows). */
  exemptionInventory?: Omit<Inventory, 'filtered'>;
  /** Each exemption that relieved findings: owner, reason, expiry, counts and the workloads. */
  exemptions: ExemptionAggregate[];
  workloads: Array<{
    resource: ResourceRef;
    blocked: boolean;
    violations: ScanJsonViolation[];
    warnings: ScanJsonViolation[];
    /** Exemptions that relieved findings of this workload (partly, when findings remain). */
    exemptions: ScanJsonExemption[];
    errors: WorkloadResult['errors'];
  }>;
}

export interface ScanJsonPolicy {
  policy: string;
  bundleMode: ScanResult['rules'][number]['bundleMode'];
  /** Counted workloads with at least one finding or error of this policy. */
  workloads: number;
  findings: number;
  errors: number;
  namespaces: string[];
}

export interface ScanJsonMessage {
  policy: string;
  rule: string;
  message: string;
  /** Findings with exactly this message. */
  findings: number;
  /** Counted workloads with a finding with this message. */
  workloads: number;
}

/** How many distinct messages `topMessages` lists. */
export const TOP_MESSAGES = 10;

function policyAggregates(scan: ScanResult): ScanJsonPolicy[] {
  const out = new Map<string, ScanJsonPolicy & { ns: Set<string> }>();
  for (const r of scan.rules) {
    const agg = out.get(r.policy) ?? { policy: r.policy, bundleMode: r.bundleMode, workloads: 0, findings: 0, errors: 0, namespaces: [], ns: new Set<string>() };
    agg.findings += r.findings;
    agg.errors += r.errors;
    for (const n of r.namespaces) agg.ns.add(n);
    out.set(r.policy, agg);
  }
  for (const w of scan.workloads) {
    const touched = new Set([...w.violations, ...w.warnings, ...w.errors].map((f) => f.policy));
    for (const p of touched) {
      const agg = out.get(p);
      if (agg !== undefined) agg.workloads += 1;
    }
  }
  return [...out.values()]
    .map(({ ns, ...agg }) => ({ ...agg, namespaces: [...ns].sort() }))
    .sort((a, b) => b.workloads - a.workloads || (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0));
}

function topMessages(scan: ScanResult): ScanJsonMessage[] {
  const out = new Map<string, ScanJsonMessage>();
  for (const w of scan.workloads) {
    const seen = new Set<string>();
    for (const v of [...w.violations, ...w.warnings]) {
      const key = `${v.policy}\u0000${v.rule}\u0000${v.message}`;
      const agg = out.get(key) ?? { policy: v.policy, rule: v.rule, message: v.message, findings: 0, workloads: 0 };
      agg.findings += 1;
      if (!seen.has(key)) {
        seen.add(key);
        agg.workloads += 1;
      }
      out.set(key, agg);
    }
  }
  const key = (m: ScanJsonMessage) => `${m.policy}\u0000${m.rule}\u0000${m.message}`;
  return [...out.values()].sort((a, b) => b.findings - a.findings || b.workloads - a.workloads || (key(a) < key(b) ? -1 : 1)).slice(0, TOP_MESSAGES);
}

function jsonViolation(v: Violation): ScanJsonViolation {
  const out: ScanJsonViolation = { policy: v.policy, rule: v.rule, ruleType: v.ruleType, control: v.control, field: v.field, message: v.message };
  if (v.container !== undefined) out.container = v.container;
  if (v.expiredExemption !== undefined) out.expiredExemption = v.expiredExemption;
  return out;
}

function withoutFilter({ filtered: _filtered, ...inv }: Inventory): Omit<Inventory, 'filtered'> {
  return inv;
}

export function scanJson(scan: ScanResult, policies: ScanPolicies, options: RenderOptions): ScanJson {
  return {
    apiVersion: 'portcullis.dev/v1alpha1',
    kind: 'ScanResult',
    mode: options.asEnforce ? 'enforce' : 'bundle',
    counts: scan.counts,
    skippedSignatureRules: policies.skippedSignatureRules,
    unlabelledNamespaces: [...options.unlabelledNamespaces],
    rules: scan.rules,
    policies: policyAggregates(scan),
    namespaces: scan.namespaces,
    topMessages: topMessages(scan),
    ...(options.inventory !== undefined ? { exemptionInventory: withoutFilter(options.inventory) } : {}),
    exemptions: scan.exemptions,
    workloads: scan.workloads.map((w) => ({
      resource: w.ref,
      blocked: w.blocked,
      violations: w.violations.map(jsonViolation),
      warnings: w.warnings.map(jsonViolation),
      exemptions: w.exemptions.map(exemptionUseRecord),
      errors: w.errors,
    })),
  };
}

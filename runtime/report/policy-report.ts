/**
 * Scan results as `wgpolicyk8s.io/v1alpha2` PolicyReports (one per namespace) and a
 * ClusterPolicyReport (cluster-scoped objects), the format Policy Reporter and SIEM exporters read.
 * One result per (policy, rule, resource) — failures, plus one `skip` per exemption that relieved
 * findings of the rule (Kyverno reports the exceptions it applies the same way), with the
 * exemption's name, owner, reason and expiry in `properties`; passes only when asked for. A report is
 * split into numbered parts before its serialized size reaches the limit (Kubernetes objects must
 * stay under 1 MiB; etcd's request limit is 1.5 MiB). Pure.
 */
import type { Mode } from '../bundle';
import { exemptionLabel } from '../engine/exemption-use';
import type { RuleResult, Violation } from '../engine/types';
import { RULE_CATEGORIES, type Severity } from './categories';
import type { ScanResult } from './scan-aggregate';
import type { WorkloadResult } from './scan-evaluate';
import type { ResourceRef } from './workload';

export const POLICY_REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
/** Default size bound of one report's JSON: 1 MiB minus headroom for server-added metadata. */
export const DEFAULT_MAX_REPORT_BYTES = 1024 * 1024 - 64 * 1024;

export type ReportResultKind = 'pass' | 'fail' | 'warn' | 'error' | 'skip';

export interface PolicyReportResult {
  source: 'portcullis';
  policy: string;
  rule: string;
  result: ReportResultKind;
  scored: true;
  severity: Severity;
  category: string;
  message: string;
  timestamp: { seconds: number; nanos: number };
  resources: ResourceRef[];
  properties: Record<string, string>;
}

export interface PolicyReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export interface PolicyReport {
  apiVersion: typeof POLICY_REPORT_API_VERSION;
  kind: 'PolicyReport' | 'ClusterPolicyReport';
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations?: Record<string, string> };
  /** The engine that produced every result (also set per result). */
  source: 'portcullis';
  summary: PolicyReportSummary;
  results: PolicyReportResult[];
}

export interface PolicyReportOptions {
  now: Date;
  /** Include pass and skip results (`--all`). */
  includePasses: boolean;
  maxBytes: number;
  /** Name prefix; reports are `<prefix>-<namespace>` (`<prefix>-cluster` for cluster scope). */
  namePrefix: string;
  /** The scanned bundle's hash, recorded as an annotation. */
  bundleHash?: string;
}

function resultsOf(w: WorkloadResult, timestamp: PolicyReportResult['timestamp'], includePasses: boolean): PolicyReportResult[] {
  const out: PolicyReportResult[] = [];
  const groups = new Map<string, { violations: Violation[]; kind: ReportResultKind }>();
  const add = (v: Violation, kind: ReportResultKind) => {
    const key = `${v.policy}\u0000${v.rule}`;
    const g = groups.get(key) ?? { violations: [], kind };
    g.violations.push(v);
    groups.set(key, g);
  };
  for (const v of w.violations) add(v, 'fail');
  for (const v of w.warnings) add(v, 'warn');
  const base = (policy: string, rule: string, ruleType: RuleResult['ruleType']) => ({
    source: 'portcullis' as const,
    policy,
    rule,
    scored: true as const,
    ...RULE_CATEGORIES[ruleType],
    timestamp,
    resources: [w.ref],
  });
  for (const g of groups.values()) {
    const v0 = g.violations[0];
    const properties: Record<string, string> = {
      controls: [...new Set(g.violations.map((v) => v.control))].sort().join(','),
      fields: g.violations.map((v) => v.field).join(','),
    };
    const containers = [...new Set(g.violations.flatMap((v) => (v.container === undefined ? [] : [v.container])))];
    if (containers.length > 0) properties.containers = containers.join(',');
    const expired = [...new Set(g.violations.flatMap((v) => (v.expiredExemption === undefined ? [] : [v.expiredExemption])))];
    if (expired.length > 0) properties.expiredExemptions = expired.join(',');
    const partly = w.exemptions.filter((a) => a.partial > 0 && a.policy === v0.policy && a.rule === v0.rule).map((a) => a.exemption.name);
    if (partly.length > 0) properties.partialExemptions = [...new Set(partly)].join(',');
    out.push({ ...base(v0.policy, v0.rule, v0.ruleType), result: g.kind, message: g.violations.map((v) => v.message).join('\n'), properties });
  }
  // An exemption that relieved findings entirely: `skip`, naming it (as Policy Reporter shows exceptions).
  for (const a of w.exemptions) {
    if (a.relieved === 0) continue;
    const e = a.exemption;
    const properties: Record<string, string> = { exemption: e.name, owner: e.owner, reason: e.reason, controls: a.controls.join(',') };
    if (e.expiresAt !== undefined) properties.expiresAt = e.expiresAt;
    const message = `[${a.policy}/${a.rule}] ${a.controls.join(', ')}: relieved by exemption ${exemptionLabel(e)}`;
    out.push({ ...base(a.policy, a.rule, a.ruleType), result: 'skip', message, properties });
  }
  for (const e of w.errors) {
    const type = w.results.find((r) => r.policy === e.policy && r.rule === e.rule)?.ruleType ?? 'verifyImages';
    out.push({ ...base(e.policy, e.rule, type), result: 'error', message: `[${e.policy}/${e.rule}] could not be evaluated: ${e.message}`, properties: {} });
  }
  if (includePasses) {
    for (const r of w.results) {
      // `exempt` rules are reported above, with the exemptions that relieved them.
      if (r.result !== 'pass' && r.result !== 'skip') continue;
      const message = r.result === 'pass' ? 'rule passed' : 'rule not applicable';
      out.push({ ...base(r.policy, r.rule, r.ruleType), result: r.result, message, properties: {} });
    }
  }
  return out;
}

function withMode(r: PolicyReportResult, modes: ReadonlyMap<string, Mode>): PolicyReportResult {
  const mode = modes.get(r.policy);
  return mode === undefined ? r : { ...r, properties: { ...r.properties, mode } };
}

function compareResults(a: PolicyReportResult, b: PolicyReportResult): number {
  const ka = `${a.policy}\u0000${a.rule}\u0000${a.resources[0].kind}\u0000${a.resources[0].name}`;
  const kb = `${b.policy}\u0000${b.rule}\u0000${b.resources[0].kind}\u0000${b.resources[0].name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function summarize(results: readonly PolicyReportResult[]): PolicyReportSummary {
  const s: PolicyReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) s[r.result] += 1;
  return s;
}

function bytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v));
}

/** Truncate a message so that one result always fits in a report. */
function bounded(r: PolicyReportResult, limit: number): PolicyReportResult {
  if (bytes(r) <= limit) return r;
  const keep = Math.max(0, r.message.length - (bytes(r) - limit) - 32);
  return { ...r, message: `${r.message.slice(0, keep)} … (truncated)` };
}

export function buildPolicyReports(scan: ScanResult, bundleModes: ReadonlyMap<string, Mode>, options: PolicyReportOptions): PolicyReport[] {
  const timestamp = { seconds: Math.floor(options.now.getTime() / 1000), nanos: 0 };
  const byNamespace = new Map<string, PolicyReportResult[]>();
  for (const w of [...scan.workloads, ...scan.exemptedOnly]) {
    const ns = w.ref.namespace ?? '';
    const list = byNamespace.get(ns) ?? [];
    for (const r of resultsOf(w, timestamp, options.includePasses)) list.push(withMode(r, bundleModes));
    byNamespace.set(ns, list);
  }
  const reports: PolicyReport[] = [];
  for (const ns of [...byNamespace.keys()].sort()) {
    const results = (byNamespace.get(ns) ?? []).sort(compareResults);
    if (results.length === 0) continue;
    reports.push(...split(ns, results, options));
  }
  return reports;
}

function shell(ns: string, name: string, options: PolicyReportOptions): PolicyReport {
  const metadata: PolicyReport['metadata'] = {
    name,
    labels: { 'app.kubernetes.io/managed-by': 'portcullis', 'portcullis.dev/report': 'scan' },
  };
  if (ns !== '') metadata.namespace = ns;
  if (options.bundleHash !== undefined) metadata.annotations = { 'portcullis.dev/bundle-hash': options.bundleHash };
  return {
    apiVersion: POLICY_REPORT_API_VERSION,
    kind: ns === '' ? 'ClusterPolicyReport' : 'PolicyReport',
    metadata,
    source: 'portcullis',
    summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
    results: [],
  };
}

function split(ns: string, results: PolicyReportResult[], options: PolicyReportOptions): PolicyReport[] {
  const baseName = `${options.namePrefix}-${ns === '' ? 'cluster' : ns}`;
  // the part number suffix and the summary's digits are the only things that grow: reserve room
  const overhead = bytes(shell(ns, `${baseName}-0000`, options)) + 64;
  const budget = options.maxBytes - overhead;
  if (budget <= 0) throw new Error(`--max-report-bytes ${options.maxBytes} leaves no room for results`);
  const parts: PolicyReportResult[][] = [[]];
  let size = 0;
  for (const raw of results) {
    const r = bounded(raw, budget);
    const n = bytes(r) + 1;
    if (size + n > budget && parts[parts.length - 1].length > 0) {
      parts.push([]);
      size = 0;
    }
    parts[parts.length - 1].push(r);
    size += n;
  }
  return parts.map((part, i) => {
    const report = shell(ns, parts.length === 1 ? baseName : `${baseName}-${i + 1}`, options);
    report.summary = summarize(part);
    report.results = part;
    return report;
  });
}

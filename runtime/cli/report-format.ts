/**
 * Rendering offline reports: a readable table (one row per violation, warning, error, exemption
 * used or skipped rule; one row for a clean resource) and JSON. Pure.
 */
import type { ReportedExemption, ResourceReport } from './offline-run';

export interface JsonResourceReport {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  source: string;
  allowed: boolean;
  violations: Array<{ policy: string; rule: string; control: string; message: string }>;
  warnings: Array<{ policy: string; rule: string; control: string; message: string }>;
  /** The exemptions that relieved findings: name, owner, reason, expiry, controls, counts. */
  exemptions: ReportedExemption[];
  errors: Array<{ policy: string; rule: string; message: string }>;
  /** Rules not judged, with why (`offline: signatures not checked: …`): result `skip`, never a denial. */
  skipped: Array<{ policy: string; rule: string; reason: string }>;
  patches: ResourceReport['patches'];
}

export function toJsonReport(r: ResourceReport): JsonResourceReport {
  const slim = (v: ResourceReport['violations'][number]) => ({ policy: v.policy, rule: v.rule, control: v.control, message: v.message });
  const out: JsonResourceReport = {
    apiVersion: r.apiVersion,
    kind: r.kind,
    ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
    name: r.name,
    source: r.source,
    allowed: r.allowed,
    violations: r.violations.map(slim),
    warnings: r.warnings.map(slim),
    exemptions: r.exemptions,
    errors: r.errors,
    skipped: r.skipped,
    patches: r.patches,
  };
  return out;
}

export function renderJson(reports: readonly ResourceReport[]): string {
  return `${JSON.stringify(reports.map(toJsonReport), null, 2)}\n`;
}

function resourceName(r: ResourceReport): string {
  return `${r.kind}/${r.namespace !== undefined ? `${r.namespace}/` : ''}${r.name}`;
}

/** The message without its `[policy/rule] control: ` prefix (those have their own columns). */
function detail(message: string): string {
  return message.replace(/^\[[^\]]*\] [^:]+: /, '').replace(/\. To request an exemption: .*$/, '');
}

/** The distinct "To request an exemption: …" texts, printed once under the table. */
function exemptionHelps(reports: readonly ResourceReport[]): string[] {
  const out = new Set<string>();
  for (const r of reports) {
    for (const v of [...r.violations, ...r.warnings]) {
      const m = /To request an exemption: (.*)$/.exec(v.message);
      if (m !== null) out.add(m[1]);
    }
  }
  return [...out];
}

/** `network-tools (owner team-platform-network, expires 2027-03-31T00:00:00Z): <reason>`; `partly: ` when it relieved only some values. */
export function exemptionDetail(x: ReportedExemption): string {
  const expiry = x.expiresAt === undefined ? 'never expires' : `expires ${x.expiresAt}`;
  return `${x.relieved === 0 ? 'partly: ' : ''}${x.exemption} (owner ${x.owner}, ${expiry}): ${x.reason}`;
}

/** Which rules were skipped, on how many resources, and (offline) how to check them after all. */
function skippedNote(reports: readonly ResourceReport[]): string[] {
  const counts = new Map<string, number>();
  for (const r of reports) for (const x of r.skipped) counts.set(`${x.policy}/${x.rule}`, (counts.get(`${x.policy}/${x.rule}`) ?? 0) + 1);
  if (counts.size === 0) return [];
  const rules = [...counts].map(([id, n]) => `${id} (${n} resource${n === 1 ? '' : 's'})`).join(', ');
  const offline = reports.some((r) => r.skipped.some((x) => x.reason.startsWith('offline:')));
  return ['', `Skipped, neither passed nor denied: ${rules}.${offline ? ' Offline, signatures are not checked: --verify-images checks them.' : ''}`];
}

export function renderTable(reports: readonly ResourceReport[]): string {
  const rows: string[][] = [['RESOURCE', 'VERDICT', 'FINDING', 'POLICY/RULE', 'CONTROL', 'DETAIL']];
  for (const r of reports) {
    const name = resourceName(r);
    const n = r.patches.length;
    const verdict = `${r.allowed ? 'allowed' : 'DENIED'}${n > 0 ? ` (${n} patch${n === 1 ? '' : 'es'})` : ''}`;
    const lines: string[][] = [
      ...r.violations.map((v) => ['deny', `${v.policy}/${v.rule}`, v.control, detail(v.message)]),
      ...r.errors.map((e) => ['error', `${e.policy}/${e.rule}`, '-', e.message]),
      ...r.warnings.map((v) => ['warn', `${v.policy}/${v.rule}`, v.control, detail(v.message)]),
      ...r.exemptions.map((x) => ['exempt', `${x.policy}/${x.rule}`, x.controls.join(','), exemptionDetail(x)]),
      ...r.skipped.map((x) => ['skip', `${x.policy}/${x.rule}`, '-', x.reason]),
    ];
    if (lines.length === 0) rows.push([name, verdict, '-', '-', '-', '-']);
    lines.forEach((l, i) => rows.push([i === 0 ? name : '', i === 0 ? verdict : '', ...l]));
  }
  const last = rows[0].length - 1;
  const widths = rows[0].map((_, c) => (c === last ? 0 : Math.min(48, Math.max(...rows.map((row) => row[c].length)))));
  const body = rows.map((row) => row.map((cell, c) => (c === last ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd());
  const denied = reports.filter((r) => !r.allowed).length;
  const warned = reports.filter((r) => r.warnings.length > 0).length;
  const exempted = reports.filter((r) => r.exemptions.length > 0).length;
  for (const help of exemptionHelps(reports)) body.push('', `To request an exemption: ${help}`);
  body.push(...skippedNote(reports));
  body.push(
    '',
    `${reports.length} resource(s): ${reports.length - denied} allowed, ${denied} denied, ${warned} with warnings` +
      (exempted > 0 ? `, ${exempted} relieved by exemptions` : '') +
      (reports.some((r) => r.skipped.length > 0) ? `, ${reports.filter((r) => r.skipped.length > 0).length} with skipped rules` : ''),
  );
  return `${body.join('\n')}\n`;
}

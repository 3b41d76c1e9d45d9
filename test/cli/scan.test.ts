import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prettyCanonicalJson } from '../../runtime/bundle';
import { POLICY_REPORT_API_VERSION, type PolicyReport } from '../../runtime/report/policy-report';
import type { ScanJson } from '../../runtime/report/scan-render';
import { buildCluster, type Cluster } from './fixtures/cluster';
import { paymentsBundle, publicKeyPem } from './fixtures/payments-bundle';

const repoRoot = path.resolve(__dirname, '../..');
const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
const main = path.join(repoRoot, 'runtime/cli/main.ts');
const NOW = '2026-11-23T12:00:00Z';

let dir: string;
let cluster: Cluster;
let clusterFile: string;
let bundleFile: string;

function scan(args: string[], input?: string) {
  return spawnSync(process.execPath, [tsx, main, 'scan', '--bundle', bundleFile, '--now', NOW, ...args], {
    cwd: dir,
    encoding: 'utf8',
    input,
    maxBuffer: 256 * 1024 * 1024,
  });
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-scan-'));
  cluster = buildCluster();
  clusterFile = path.join(dir, 'cluster.yaml');
  // exactly what `kubectl get … -o yaml` prints: one v1 List, no YAML aliases
  writeFileSync(clusterFile, stringify(cluster.list, { lineWidth: 0, aliasDuplicateObjects: false }));
  bundleFile = path.join(dir, 'bundle.json');
  writeFileSync(bundleFile, prettyCanonicalJson(paymentsBundle({ ciKey: publicKeyPem() })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the archetype table says the scan must find. */
function expectations(c: Cluster) {
  const blocked = c.expected.filter((w) => w.rules.length > 0);
  const rules = new Map<string, { workloads: number; namespaces: Set<string> }>();
  const namespaces = new Map<string, { workloads: number; blocked: number }>();
  for (const w of c.expected) {
    const ns = namespaces.get(w.namespace) ?? { workloads: 0, blocked: 0 };
    ns.workloads += 1;
    if (w.rules.length > 0) ns.blocked += 1;
    namespaces.set(w.namespace, ns);
    for (const r of w.rules) {
      const agg = rules.get(r) ?? { workloads: 0, namespaces: new Set() };
      agg.workloads += 1;
      agg.namespaces.add(w.namespace);
      rules.set(r, agg);
    }
  }
  return { blocked, rules, namespaces };
}

describe('portcullis scan over a few hundred workloads', { timeout: 120_000 }, () => {
  let json: ScanJson;
  let status: number | null;
  beforeAll(() => {
    const r = scan([clusterFile, '-o', 'json']);
    status = r.status;
    expect(r.stderr).toBe('');
    json = JSON.parse(r.stdout);
  });

  it('counts each workload once: pods fold into their Deployment/StatefulSet/DaemonSet/Job/CronJob', () => {
    expect(cluster.expected.length).toBeGreaterThan(250);
    expect(json.counts).toEqual({
      objects: cluster.list.items instanceof Array ? cluster.list.items.length : -1,
      ignored: cluster.ignored,
      excluded: cluster.excluded,
      workloads: cluster.expected.length,
      folded: cluster.folded,
      blocked: expectations(cluster).blocked.length,
    });
    expect(status).toBe(1);
  });

  it('aggregates by policy/rule: workloads and namespaces per rule, with the bundle mode', () => {
    const { rules } = expectations(cluster);
    const got = Object.fromEntries(json.rules.map((r) => [`${r.policy}/${r.rule}`, { workloads: r.workloads, namespaces: r.namespaces }]));
    const want = Object.fromEntries(
      [...rules].map(([k, v]) => [k, { workloads: v.workloads, namespaces: [...v.namespaces].sort() }]),
    );
    expect(got).toEqual(want);
    expect(json.rules.find((r) => r.policy === 'pod-security')?.bundleMode).toBe('Audit');
    expect(json.rules.find((r) => r.policy === 'host-isolation')?.bundleMode).toBe('Enforce');
    // most workloads first
    const counts = json.rules.map((r) => r.workloads);
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
    expect(json.skippedSignatureRules).toEqual(['signed-images/verify-signatures']);
  });

  it('aggregates by policy (each workload once) and names the most frequent messages', () => {
    const want = new Map<string, number>();
    for (const w of cluster.expected) for (const p of new Set(w.rules.map((r) => r.split('/')[0]))) want.set(p, (want.get(p) ?? 0) + 1);
    expect(Object.fromEntries(json.policies.map((p) => [p.policy, p.workloads]))).toEqual(Object.fromEntries(want));
    const byPolicy = (p: string) => json.rules.filter((r) => r.policy === p).reduce((n, r) => n + r.findings, 0);
    for (const p of json.policies) expect(p.findings).toBe(byPolicy(p.policy));
    // top messages: exact texts counted over every finding, most findings first, at most 10
    const counts = new Map<string, number>();
    for (const w of json.workloads) for (const v of [...w.violations, ...w.warnings]) counts.set(v.message, (counts.get(v.message) ?? 0) + 1);
    const top = [...counts.values()].sort((a, b) => b - a).slice(0, 10);
    expect(json.topMessages.map((m) => m.findings)).toEqual(top);
    expect(top[0]).toBeGreaterThan(1);
    for (const m of json.topMessages) expect(counts.get(m.message)).toBe(m.findings);
  });

  it('aggregates by namespace', () => {
    const { namespaces } = expectations(cluster);
    const got = Object.fromEntries(json.namespaces.map((n) => [n.namespace, { workloads: n.workloads, blocked: n.blocked }]));
    expect(got).toEqual(Object.fromEntries(namespaces));
    expect(json.namespaces.map((n) => n.namespace)).toEqual([...namespaces.keys()].sort());
  });

  it('lists exactly the workloads that would be blocked, with the rules that block them', () => {
    const got = json.workloads
      .map((w) => `${w.resource.kind} ${w.resource.namespace}/${w.resource.name}: ${[...new Set(w.violations.map((v) => `${v.policy}/${v.rule}`))].sort().join(' ')}`)
      .sort();
    const want = expectations(cluster)
      .blocked.map((w) => `${w.kind} ${w.namespace}/${w.name}: ${[...w.rules].sort().join(' ')}`)
      .sort();
    expect(got).toEqual(want);
    expect(json.workloads.every((w) => w.blocked)).toBe(true);
  });

  it('honours the exemption (NET_ADMIN/NET_RAW for network-tools in netops) but not beyond it', () => {
    const sysadmin = json.workloads.find((w) => w.resource.name === 'network-tools-sysadmin-0');
    expect(sysadmin?.violations).toHaveLength(1);
    expect(sysadmin?.violations[0].message).toContain('SYS_ADMIN');
    expect(sysadmin?.violations[0].message).not.toMatch(/NET_ADMIN[^)]*is not allowed/);
    expect(json.workloads.some((w) => w.resource.namespace === 'netops' && w.resource.name.startsWith('network-tools-') && !w.resource.name.includes('sysadmin'))).toBe(false);
  });

  it('prints the same document as YAML', () => {
    const r = scan([clusterFile, '-o', 'yaml']);
    expect(parse(r.stdout)).toEqual(json);
  });

  it('prints an aligned table with totals and the notes', () => {
    const r = scan([clusterFile]);
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(
      `Scanned ${json.counts.objects} objects: ${json.counts.workloads} workloads evaluated (${json.counts.folded} more counted with their controllers), 2 in excluded namespaces, ${json.counts.ignored} other objects ignored.`,
    );
    expect(r.stdout).toContain(`WOULD BE BLOCKED: ${json.counts.blocked} of ${json.counts.workloads} workloads in 8 of 8 namespaces.`);
    const header = lines.findIndex((l) => l.startsWith('POLICY/RULE'));
    expect(lines[header + 1]).toMatch(/^allowed-registries\/registries\s+Audit\s+35\s+5\s+35\s+0$/);
    expect(r.stdout).toContain('Note: Signature checks were not run (signed-images/verify-signatures)');
    // stderr is not a TTY here: no progress indicator
    expect(r.stderr).toBe('');
  });

  it.skipIf(!existsSync('/usr/bin/script'))('shows a progress counter on stderr only when it is a terminal, and clears it', () => {
    // util-linux `script` gives the command a pseudo-terminal; stdout goes to a file, stderr to the pty
    const out = path.join(dir, 'table.txt');
    const cmd = [process.execPath, tsx, main, 'scan', '--bundle', bundleFile, '--now', NOW, clusterFile].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('/usr/bin/script', ['-qec', `${cmd} > '${out}'`, '/dev/null'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\rportcullis scan: \d+ objects…/);
    expect(r.stdout).toContain('\r\x1b[K');
    expect(readFileSync(out, 'utf8')).toMatch(/^Scanned \d+ objects/);
    expect(readFileSync(out, 'utf8')).not.toContain('objects…');
  });
});

describe('portcullis scan -o policyreport', { timeout: 120_000 }, () => {
  let reports: PolicyReport[];
  beforeAll(() => {
    const r = scan([clusterFile, '-o', 'policyreport']);
    expect(r.status).toBe(1);
    reports = parseAllDocuments(r.stdout).map((d) => d.toJS() as PolicyReport);
  });

  it('writes one wgpolicyk8s.io/v1alpha2 PolicyReport per namespace with failures, and a skip per exemption used', () => {
    const { blocked } = expectations(cluster);
    expect(reports.map((r) => r.metadata.namespace)).toEqual([...new Set(blocked.map((w) => w.namespace))].sort());
    let results = 0;
    for (const report of reports) {
      expect(report.apiVersion).toBe(POLICY_REPORT_API_VERSION);
      expect(report.kind).toBe('PolicyReport');
      expect(report.source).toBe('portcullis');
      expect(report.metadata.name).toBe(`portcullis-scan-${report.metadata.namespace}`);
      expect(report.metadata.labels['app.kubernetes.io/managed-by']).toBe('portcullis');
      expect(report.metadata.annotations?.['portcullis.dev/bundle-hash']).toMatch(/^sha256:[0-9a-f]{64}$/);
      const skips = report.results.filter((r) => r.result === 'skip');
      expect(report.summary).toEqual({ pass: 0, fail: report.results.length - skips.length, warn: 0, error: 0, skip: skips.length });
      // the network-tools exemption relieved NET_ADMIN/NET_RAW of the 3 network-tools pods in netops
      expect(skips.map((r) => `${r.resources[0].name} ${r.properties.exemption}`)).toEqual(
        report.metadata.namespace === 'netops' ? ['network-tools-0 network-tools', 'network-tools-1 network-tools', 'network-tools-2 network-tools'] : [],
      );
      for (const r of report.results) {
        expect(r).toMatchObject({ source: 'portcullis', result: r.result === 'skip' ? 'skip' : 'fail', scored: true, timestamp: { seconds: Date.parse(NOW) / 1000, nanos: 0 } });
        expect(['critical', 'high', 'medium', 'low', 'info']).toContain(r.severity);
        expect(r.category).not.toBe('');
        expect(r.resources).toHaveLength(1);
        expect(r.resources[0].namespace).toBe(report.metadata.namespace);
        expect(r.resources[0].uid).toMatch(/^[0-9a-f-]{36}$/);
        expect(r.message).toMatch(new RegExp(`^\\[${r.policy}/${r.rule}\\] `));
        expect(['Audit', 'Enforce']).toContain(r.properties.mode);
      }
      results += report.results.length - skips.length;
    }
    // one failure per (policy, rule, workload)
    expect(results).toBe(blocked.reduce((n, w) => n + w.rules.length, 0));
    const privileged = reports.flatMap((r) => r.results).find((r) => r.resources[0].name === 'privileged-root-0' && r.resources[0].namespace === 'payments');
    expect(privileged).toMatchObject({
      policy: 'pod-security',
      rule: 'restricted',
      severity: 'high',
      category: 'Pod Security Standards (Restricted)',
      resources: [{ apiVersion: 'v1', kind: 'Pod', name: 'privileged-root-0', namespace: 'payments' }],
    });
    expect(privileged?.properties.controls.split(',')).toEqual(expect.arrayContaining(['privileged', 'runAsNonRoot']));
  });

  it('splits a report into numbered parts before the size limit, losing nothing', () => {
    const limit = 6 * 1024;
    const r = scan([clusterFile, '-o', 'policyreport', '--max-report-bytes', String(limit)]);
    const parts = parseAllDocuments(r.stdout).map((d) => d.toJS() as PolicyReport);
    const sandbox = parts.filter((p) => p.metadata.namespace === 'sandbox');
    expect(sandbox.length).toBeGreaterThan(1);
    expect(sandbox.map((p) => p.metadata.name)).toEqual(sandbox.map((_, i) => `portcullis-scan-sandbox-${i + 1}`));
    for (const p of parts) {
      expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(limit);
      expect(p.summary.fail + p.summary.skip).toBe(p.results.length);
    }
    const key = (x: PolicyReport['results'][number]) => `${x.policy}/${x.rule} ${x.resources[0].namespace}/${x.resources[0].name}`;
    expect(parts.flatMap((p) => p.results.map(key)).sort()).toEqual(reports.flatMap((p) => p.results.map(key)).sort());
  });

  it('--all adds pass and skip results', () => {
    const r = scan([clusterFile, '-o', 'policyreport', '--all']);
    expect(r.stdout).not.toMatch(/^\s*(- )?[^#\n]*[&*]a\d+\b/m); // no YAML anchors/aliases for kubectl
    const all = parseAllDocuments(r.stdout).map((d) => d.toJS() as PolicyReport);
    const ledger = all.find((p) => p.metadata.namespace === 'ledger');
    expect(ledger?.summary.pass).toBeGreaterThan(0);
    expect(ledger?.summary.fail).toBe(2);
    const compliant = ledger?.results.filter((x) => x.resources[0].name === 'compliant-0') ?? [];
    expect(compliant.length).toBeGreaterThan(0);
    expect(compliant.every((x) => x.result === 'pass' || x.result === 'skip')).toBe(true);
  });
});

describe('portcullis scan inputs, modes and exit codes', { timeout: 120_000 }, () => {
  const deployment = (ns: string, name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'app',
              image: 'registry.payments.example.com/payments/api:1.0@sha256:' + 'a'.repeat(64),
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              ...extra,
            },
          ],
        },
      },
    },
  });

  it('reads stdin, multi-document YAML and JSON, and exits 0 when nothing would be blocked', () => {
    const yaml = [deployment('payments', 'a'), deployment('ledger', 'b')].map((d) => stringify(d)).join('---\n');
    const ok = scan(['-', '-o', 'json', '--namespace-labels', 'payments:team=payments', '--namespace-labels', 'ledger:'], yaml);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).counts).toMatchObject({ objects: 2, workloads: 2, blocked: 0 });
    const jsonFile = path.join(dir, 'one.json');
    writeFileSync(jsonFile, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [deployment('payments', 'c', { image: 'nginx:latest' })] }));
    const bad = scan([jsonFile, '-o', 'json']);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout).workloads[0].violations[0]).toMatchObject({ policy: 'allowed-registries', container: 'app' });
  });

  it('evaluates namespaceSelectors with the labels it knows, and says when it does not know them', () => {
    const input = stringify(deployment('payments', 'unlabelled'));
    const unknown = scan(['-'], input);
    expect(unknown.status).toBe(0);
    expect(unknown.stdout).toContain('Note: Labels unknown for 1 namespace(s) (payments)');
    const known = scan(['-', '-o', 'json', '--namespace-labels', 'payments:environment=production'], input);
    expect(known.status).toBe(1);
    const rules = JSON.parse(known.stdout).rules.map((r: { policy: string }) => r.policy);
    expect(rules).toEqual(['required-labels']);
    // without a namespace: labels for every namespace, as `portcullis test --namespace-labels` takes them
    const everywhere = scan(['-', '-o', 'json', '--namespace-labels', 'environment=production'], input);
    expect(everywhere.status).toBe(1);
    expect(JSON.parse(everywhere.stdout)).toMatchObject({ unlabelledNamespaces: [], rules: [{ policy: 'required-labels' }] });
    // a Namespace document that comes after the workload still supplies its labels
    const later = scan(['-', '-o', 'json'], `${input}---\n${stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments', labels: { environment: 'production' } } })}`);
    expect(later.status).toBe(1);
    expect(JSON.parse(later.stdout)).toMatchObject({ unlabelledNamespaces: [], rules: [{ policy: 'required-labels', workloads: 1 }] });
  });

  it('--bundle-modes blocks only on Enforce policies and reports Audit findings as warnings', () => {
    const r = scan([clusterFile, '-o', 'json', '--bundle-modes']);
    const out: ScanJson = JSON.parse(r.stdout);
    const enforced = cluster.expected.filter((w) => w.rules.some((x) => x.startsWith('host-isolation/')));
    expect(out.mode).toBe('bundle');
    expect(out.counts.blocked).toBe(enforced.length);
    const warned = out.workloads.find((w) => w.resource.name === 'public-latest-0' && w.resource.namespace === 'payments');
    expect(warned?.blocked).toBe(false);
    expect(warned?.violations).toEqual([]);
    expect(warned?.warnings.map((v) => v.policy)).toEqual(['allowed-registries']);
    const pr = parseAllDocuments(scan([clusterFile, '-o', 'policyreport', '--bundle-modes']).stdout).map((d) => d.toJS() as PolicyReport);
    const summary = pr.reduce((s, p) => ({ fail: s.fail + p.summary.fail, warn: s.warn + p.summary.warn }), { fail: 0, warn: 0 });
    expect(summary.fail).toBe(enforced.reduce((n, w) => n + w.rules.filter((x) => x.startsWith('host-isolation/')).length, 0));
    expect(summary.warn).toBeGreaterThan(0);
  });

  it('exits 2 on usage errors, a missing or invalid bundle, and unparseable input', () => {
    expect(scan([]).status).toBe(2);
    expect(scan([clusterFile, '-o', 'csv']).status).toBe(2);
    expect(scan(['no-such-file.yaml']).status).toBe(2);
    expect(scan([clusterFile, '--namespace-labels', 'nocolon']).status).toBe(2);
    const missing = spawnSync(process.execPath, [tsx, main, 'scan', '--bundle', 'missing.json', clusterFile], { cwd: dir, encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('missing.json');
    const broken = scan(['-'], `${stringify(deployment('payments', 'a'))}---\nkind: [unclosed\n`);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain('document 2 skipped');
  });
});

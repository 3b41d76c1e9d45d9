/* eslint-disable @typescript-eslint/no-explicit-any -- JSON output is inspected loosely */
/**
 * Exempted findings in the offline outputs, on the reference bundle (dist/) and the reference
 * fixture pods (policies/fixtures/resources/pods.yaml: tcpdump relieved by network-tools,
 * tcpdump-sysadmin relieved only partly, the log collector relieved by log-collector-host-logs):
 * `portcullis test` (table, JSON, PolicyTest `result: exempt` + `exemptions: [...]`) and
 * `portcullis scan` (table, JSON, PolicyReports with `result: skip`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTest, type TestOptions } from '../../runtime/cli/test-command';
import type { PolicyReport } from '../../runtime/report/policy-report';
import type { ScanJson } from '../../runtime/report/scan-render';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE = path.join(ROOT, 'dist/portcullis-bundle.json');
const PODS = path.join(ROOT, 'policies/fixtures/resources/pods.yaml');
const NOW = '2026-06-01T00:00:00Z';
const NET_TOOLS = {
  exemption: 'network-tools',
  owner: 'team-platform-network',
  expiresAt: '2027-03-31T00:00:00Z',
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-exempt-outputs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts = (files: string[], over: Partial<TestOptions> = {}): TestOptions => ({ files, bundle: BUNDLE, output: 'json', now: new Date(NOW), offline: true, ...over });

describe('portcullis test shows the exemptions that relieved findings', () => {
  it('JSON: name, owner, reason, expiry, controls, and whether it relieved all or part', async () => {
    const out = JSON.parse((await runTest(opts([PODS]))).stdout) as Array<Record<string, any>>;
    const byName = (ns: string, name: string) => out.find((r) => r.namespace === ns && r.name === name)!;
    expect(byName('platform-network', 'tcpdump').exemptions).toEqual([
      {
        policy: 'pod-security',
        rule: 'restricted',
        ...NET_TOOLS,
        reason: expect.stringContaining('NET_ADMIN and NET_RAW'),
        controls: ['capabilities_restricted'],
        relieved: 1,
        partial: 0,
      },
    ]);
    expect(byName('platform-network', 'tcpdump-sysadmin').exemptions).toEqual([expect.objectContaining({ exemption: 'network-tools', relieved: 0, partial: 1 })]);
    expect(byName('payments', 'tcpdump').exemptions).toEqual([]); // outside platform-network
    expect(byName('observability', 'log-collector').exemptions).toEqual([
      expect.objectContaining({ policy: 'pod-security', rule: 'restricted', exemption: 'log-collector-host-logs', owner: 'team-observability' }),
    ]);
  });

  it('table: an `exempt` row with the exemption, owner and expiry, and the count in the summary', async () => {
    const r = await runTest(opts([PODS], { output: 'table' }));
    const row = r.stdout.split('\n').find((l) => /\bexempt\s+pod-security\/restricted\s+capabilities_restricted\s+network-tools /.test(l));
    expect(row).toContain(`network-tools (owner ${NET_TOOLS.owner}, expires ${NET_TOOLS.expiresAt}): tcpdump/mtr`);
    expect(r.stdout).toMatch(/exempt\s+pod-security\/restricted\s+capabilities_restricted\s+partly: network-tools \(owner/);
    expect(r.stdout).toMatch(/\d+ resource\(s\): .*, 3 relieved by exemptions\b/);
  });

  it('a fixture asserts `result: exempt` and exactly which exemptions applied', async () => {
    const fixture = (exemptions: string) => `
apiVersion: portcullis.dev/v1alpha1
kind: PolicyTest
metadata: {name: which-exemption}
now: "${NOW}"
resources: [${PODS}]
results:
- {resource: Pod/platform-network/tcpdump, policy: pod-security, rule: restricted, result: exempt, exemptions: ${exemptions}}
- {resource: Pod/payments/tcpdump, policy: pod-security, rule: restricted, result: warn, exemptions: []}
`;
    const good = await runTest(opts([write('good.yaml', fixture('[network-tools]'))], { output: 'table' }));
    expect(good.stdout).toContain('PASS  which-exemption  Pod/platform-network/tcpdump  pod-security/restricted exemptions: expected network-tools');
    expect(good.stdout).toContain('4 expectation(s): 4 passed, 0 failed');
    expect(good.exitCode).toBe(0);
    const bad = await runTest(opts([write('bad.yaml', fixture('[log-collector-host-logs]'))], { output: 'table' }));
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toContain('pod-security/restricted exemptions: expected log-collector-host-logs, got network-tools');
    const expired = await runTest(opts([write('expired.yaml', fixture('[network-tools]').replace(NOW, '2027-04-01T00:00:00Z'))], { output: 'table' }));
    expect(expired.stdout).toContain('pod-security/restricted result: expected exempt, got warn');
    expect(expired.stdout).toContain('pod-security/restricted exemptions: expected network-tools, got (none)');
  });
});

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

function scan(args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'runtime/cli/main.ts'), 'scan', '--bundle', BUNDLE, '--now', NOW, PODS, ...args], {
    encoding: 'utf8',
    cwd: ROOT,
  });
}

describe('portcullis scan counts exempted findings apart', { timeout: 60_000 }, () => {
  let json: ScanJson;
  beforeAll(() => {
    const r = scan(['-o', 'json']);
    expect(r.stderr).toBe('');
    json = JSON.parse(r.stdout) as ScanJson;
  });

  it('JSON: one entry per exemption with owner, expiry, counts and the workloads; per-workload exemptions', () => {
    expect(json.exemptions.map((e) => `${e.policy}/${e.exemption}`)).toEqual(['pod-security/log-collector-host-logs', 'pod-security/network-tools']);
    const nt = json.exemptions.find((e) => e.exemption === 'network-tools')!;
    expect(nt).toMatchObject({ ...NET_TOOLS, rules: ['restricted'], controls: ['capabilities_restricted'], workloads: 2, findings: 1, partial: 1, namespaces: ['platform-network'] });
    expect(nt.resources.map((r) => r.name).sort()).toEqual(['tcpdump', 'tcpdump-sysadmin']);
    // a workload whose only pod-security finding was relieved is not listed as blocked by it
    const tcpdump = json.workloads.find((w) => w.resource.namespace === 'platform-network' && w.resource.name === 'tcpdump');
    expect(tcpdump?.violations.filter((v) => v.policy === 'pod-security')).toEqual([]);
    expect(tcpdump?.exemptions).toEqual([expect.objectContaining({ exemption: 'network-tools', relieved: 1, partial: 0 })]);
  });

  it('table: an EXEMPTED line and one row per exemption, apart from the findings', () => {
    const r = scan([]);
    const relieved = json.exemptions.reduce((n, e) => n + e.findings, 0);
    expect(r.stdout).toContain(`EXEMPTED (not counted above): ${relieved} finding(s) in 3 workload(s) relieved by 2 exemption(s).`);
    expect(r.stdout).toMatch(/^POLICY\/EXEMPTION\s+OWNER\s+EXPIRES\s+WORKLOADS\s+FINDINGS\s+PARTLY\s+RULES$/m);
    expect(r.stdout).toMatch(/^pod-security\/network-tools\s+team-platform-network\s+2027-03-31T00:00:00Z\s+2\s+1\s+1\s+restricted$/m);
    const details = scan(['--details']);
    expect(details.stdout).toContain(`[pod-security/restricted] exempted capabilities_restricted: network-tools (owner ${NET_TOOLS.owner}, expires ${NET_TOOLS.expiresAt})`);
    expect(details.stdout).toContain('[pod-security/restricted] partly exempted capabilities_restricted: network-tools');
  });

  it('PolicyReports: `skip` naming the exemption in properties; a partly relieved failure names it too', () => {
    const r = scan(['-o', 'policyreport']);
    const reports = parseAllDocuments(r.stdout).map((d) => d.toJS() as PolicyReport);
    const results = reports.flatMap((p) => p.results.map((x) => ({ ...x, ns: p.metadata.namespace })));
    const skip = results.find((x) => x.result === 'skip' && x.resources[0].name === 'tcpdump' && x.ns === 'platform-network');
    expect(skip).toMatchObject({
      policy: 'pod-security',
      rule: 'restricted',
      message: `[pod-security/restricted] capabilities_restricted: relieved by exemption network-tools (owner ${NET_TOOLS.owner}, expires ${NET_TOOLS.expiresAt})`,
      properties: { exemption: 'network-tools', owner: NET_TOOLS.owner, expiresAt: NET_TOOLS.expiresAt, controls: 'capabilities_restricted', mode: 'Audit' },
    });
    expect(skip?.properties.reason).toContain('NET_ADMIN and NET_RAW');
    const collector = results.find((x) => x.result === 'skip' && x.resources[0].name === 'log-collector');
    expect(collector?.properties).toMatchObject({ exemption: 'log-collector-host-logs', owner: 'team-observability' });
    const partly = results.find((x) => x.result === 'fail' && x.policy === 'pod-security' && x.resources[0].name === 'tcpdump-sysadmin');
    expect(partly?.properties.partialExemptions).toBe('network-tools');
    // skips count in each report's summary
    for (const p of reports) expect(p.summary.skip).toBe(p.results.filter((x) => x.result === 'skip').length);
    expect(results.filter((x) => x.result === 'skip').every((x) => x.properties.exemption !== undefined)).toBe(true);
  });
});

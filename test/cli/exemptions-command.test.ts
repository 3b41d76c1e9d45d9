/**
 * `portcullis exemptions`: the inventory model (status, days left, order, the --expiring-within
 * filter), its words (identical to `portcullis diff`'s), the three outputs, and the real command:
 * exit codes of --fail-if-expiring, usage errors, and --policies (the policy app synthesized).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prettyCanonicalJson, type Bundle, type Exemption } from '../../runtime/bundle';
import { parseWindow } from '../../runtime/cli/exemptions-command';
import { diffBundles } from '../../runtime/report/bundle-diff';
import { buildInventory, DEFAULT_WINDOW_MS, renderInventoryJson, renderInventoryMarkdown, renderInventoryTable } from '../../runtime/report/exemption-inventory';
import { toText } from '../../runtime/report/sentence';
import { podPolicy, validBundle, webhook, withAutogen } from '../helpers/bundles';

const ROOT = path.resolve(__dirname, '../..');
const NOW = new Date('2027-03-21T00:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString().replace('.000Z', 'Z');

const base = { owner: 'team-a', reason: 'needed', controls: [] } satisfies Partial<Exemption>;
const EXEMPTIONS: Record<string, Exemption[]> = {
  'pod-security': [
    {
      ...base,
      name: 'network-tools',
      owner: 'team-platform-network',
      reason: 'tcpdump needs NET_ADMIN (INC-4821)',
      expiresAt: at(10),
      namespaces: ['platform-network'],
      controls: [{ control: 'capabilities_restricted', images: ['registry.example.com/platform/network-tools'], field: 'capabilities.add', values: ['NET_ADMIN', 'a|b'] }],
    },
    { ...base, name: 'legacy', expiresAt: at(-3), objectSelector: { matchLabels: { app: 'legacy' } }, controls: [{ control: 'runAsNonRoot' }] },
  ],
  'host-isolation': [
    { ...base, name: 'node-exporter', owner: 'observability', expiresAt: at(90), namespaceSelector: { matchLabels: { tier: 'system' } }, controls: [{ control: 'hostNamespaces' }] },
    { ...base, name: 'forever', owner: 'team-b' },
  ],
};

function bundle(exemptions = EXEMPTIONS): Bundle {
  return validBundle(
    'inventory',
    Object.keys(exemptions).map((name) =>
      podPolicy({ name, mode: 'Enforce', failurePolicy: 'Fail', rules: withAutogen('limits', { type: 'requireResources', limits: ['cpu'], requests: [] }), exemptions: exemptions[name] }),
    ),
    [webhook({ path: '/validate/fail-10s', type: 'validating', failurePolicy: 'Fail', policies: Object.keys(exemptions) })],
  );
}

describe('the exemption inventory', () => {
  const inv = buildInventory(bundle(), { now: NOW, windowMs: DEFAULT_WINDOW_MS, onlyExpiring: false });

  it('lists every exemption soonest expiry first, with status and whole days left', () => {
    expect(inv.exemptions.map((x) => [`${x.policy}/${x.exemption}`, x.status, x.daysLeft])).toEqual([
      ['pod-security/legacy', 'expired', -3],
      ['pod-security/network-tools', 'expiring', 10],
      ['host-isolation/node-exporter', 'active', 90],
      ['host-isolation/forever', 'no-expiry', undefined],
    ]);
    expect(inv.counts).toEqual({ listed: 4, total: 4, expired: 1, expiring: 1, noExpiry: 1 });
    const nt = inv.exemptions[1];
    expect(nt).toMatchObject({ owner: 'team-platform-network', reason: 'tcpdump needs NET_ADMIN (INC-4821)', expiresAt: at(10), scope: { namespaces: ['platform-network'] } });
    expect(nt.controls[0]).toMatchObject({ control: 'capabilities_restricted', images: ['registry.example.com/platform/network-tools'], values: ['NET_ADMIN', 'a|b'] });
    expect(inv.exemptions[2].scope).toEqual({ namespaceSelector: 'tier=system', text: 'in namespaces selected by "tier=system"' });
    expect(inv.exemptions[3].scope.text).toBe('everywhere');
  });

  it('--expiring-within keeps those that expire within the window or have expired', () => {
    const within = (days: number) => buildInventory(bundle(), { now: NOW, windowMs: days * DAY, onlyExpiring: true }).exemptions.map((x) => x.exemption);
    expect(within(30)).toEqual(['legacy', 'network-tools']);
    expect(within(5)).toEqual(['legacy']);
    expect(within(90)).toEqual(['legacy', 'network-tools', 'node-exporter']);
    expect(parseWindow('30d')).toBe(30 * DAY);
    expect(parseWindow('2w')).toBe(14 * DAY);
    expect(parseWindow('12h')).toBe(12 * 3_600_000);
    expect(parseWindow('30')).toBeUndefined();
    expect(parseWindow('-1d')).toBeUndefined();
  });

  it('uses the words of portcullis diff for the same exemption', () => {
    const empty = bundle({ 'pod-security': [], 'host-isolation': [] });
    const added = diffBundles(empty, bundle(), { now: NOW }).changes.filter((c) => c.kind === 'exemption-added');
    expect(added).toHaveLength(4);
    for (const x of inv.exemptions) {
      const sentence = added.find((c) => c.exemption === x.exemption);
      expect(toText(sentence!.sentence)).toContain(` is added: it ${x.description}`);
      expect(x.description).toContain(x.scope.text);
      for (const c of x.controls) expect(x.description).toContain(c.text);
    }
  });

  it('renders a table, JSON and markdown (pipes in code spans escaped for GFM tables)', () => {
    const table = renderInventoryTable(inv);
    expect(table.split('\n')[0]).toBe('4 exemption(s): 1 expired, 1 expiring within 30 days, 1 without expiry (as of 2027-03-21T00:00:00Z).');
    expect(table).toMatch(/^POLICY\s+EXEMPTION\s+OWNER\s+EXPIRES\s+DAYS LEFT\s+STATUS$/m);
    expect(table).toMatch(/^pod-security\s+network-tools\s+team-platform-network\s+2027-03-31T00:00:00Z\s+10\s+expiring$/m);
    expect(table).toMatch(/^pod-security\s+legacy\s+team-a\s+2027-03-18T00:00:00Z\s+-3\s+EXPIRED$/m);
    expect(table).toContain('  expires:  2027-03-18T00:00:00Z (expired 3 day(s) ago)');
    expect(table).toContain('  scope:    for objects selected by "app=legacy"');

    const json = JSON.parse(renderInventoryJson(inv)) as { kind: string; exemptions: Array<{ exemption: string; daysLeft?: number }> };
    expect(json.kind).toBe('ExemptionInventory');
    expect(json.exemptions.map((x) => [x.exemption, x.daysLeft])).toEqual([['legacy', -3], ['network-tools', 10], ['node-exporter', 90], ['forever', undefined]]);

    const md = renderInventoryMarkdown(inv);
    const row = md.split('\n').find((l) => l.startsWith('| `pod-security` | `network-tools`'));
    expect(row).toContain('| `2027-03-31T00:00:00Z` **expiring** | 10 | in namespaces `platform-network` |');
    expect(row).toContain('`a\\|b`');
    expect(row?.split(/(?<!\\)\|/).length).toBe(10); // 8 cells: no unescaped pipe inside one
    expect(md).toContain('| `host-isolation` | `forever` | team-b | never | – | everywhere | the whole policy | needed |');
  });
});

describe('portcullis exemptions', { timeout: 60_000 }, () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-exemptions-'));
    file = path.join(dir, 'bundle.json');
    writeFileSync(file, prettyCanonicalJson(bundle({ 'host-isolation': EXEMPTIONS['host-isolation'], 'pod-security': [EXEMPTIONS['pod-security'][0]] })));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'runtime/cli/main.ts'), 'exemptions', ...args], { encoding: 'utf8', cwd: ROOT });

  it('--fail-if-expiring exits 1 only when a listed exemption expires within the window', () => {
    const soon = run([file, '--now', NOW.toISOString(), '--fail-if-expiring']);
    expect(soon.status).toBe(1);
    expect(soon.stdout).toMatch(/^pod-security\s+network-tools\s+team-platform-network\s+\S+\s+10\s+expiring$/m);
    const narrow = run(['--bundle', file, '--now', NOW.toISOString(), '--expiring-within', '5d', '--fail-if-expiring', '-o', 'json']);
    expect(narrow.status).toBe(0);
    expect(JSON.parse(narrow.stdout)).toMatchObject({ filtered: true, windowDays: 5, counts: { listed: 0, total: 3 }, exemptions: [] });
    const wide = run([file, '--now', NOW.toISOString(), '--expiring-within', '13w', '--fail-if-expiring', '-o', 'markdown']);
    expect(wide.status).toBe(1);
    expect(wide.stdout).toContain('2 of 3 exemption(s) expire within 91 days or have expired');
    // an exemption that has already expired trips it too
    expect(run([file, '--now', at(11), '--expiring-within', '1d', '--fail-if-expiring']).status).toBe(1);
    // without the flag, listing is exit 0 whatever expires
    expect(run([file, '--now', NOW.toISOString()]).status).toBe(0);
  });

  it('refuses usage errors with exit 2', () => {
    for (const args of [
      [file, '--expiring-within', '30'],
      [file, '-o', 'yaml'],
      [file, '--now', 'tomorrow'],
      [path.join(dir, 'missing.json')],
      ['--bundle', file, '--policies'],
    ]) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^portcullis exemptions: /);
    }
    const help = run(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--fail-if-expiring');
  });

  it('--policies synthesizes policies/ in memory and lists its exemptions', () => {
    const r = run(['--policies', '--now', '2026-06-01T00:00:00Z', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const inv = JSON.parse(r.stdout) as { exemptions: Array<{ policy: string; exemption: string; owner: string; daysLeft: number }> };
    expect(inv.exemptions.map((x) => `${x.policy}/${x.exemption}`)).toEqual(['pod-security/network-tools', 'pod-security/log-collector-host-logs']);
    expect(inv.exemptions[0]).toMatchObject({ owner: 'team-platform-network', daysLeft: 303 });
  });
});

/**
 * The workflow over the shipped reference set (dist/portcullis-bundle.json and policies/): scan the
 * seeds' example workloads, and check that the README's one-line Audit → Enforce change is what
 * `portcullis diff` reports and what `portcullis scan --bundle-modes` then blocks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, prettyCanonicalJson, type Bundle } from '../../runtime/bundle';
import { diffBundles } from '../../runtime/report/bundle-diff';
import { toText } from '../../runtime/report/sentence';
import type { ScanJson } from '../../runtime/report/scan-render';
import { createReferenceApp } from '../../policies/app';
import { config } from '../../policies/config';

const repoRoot = path.resolve(__dirname, '../..');
const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
const main = path.join(repoRoot, 'runtime/cli/main.ts');
const NOW = '2026-11-23T12:00:00Z';
const shipped = loadBundle(readFileSync(path.join(repoRoot, 'dist/portcullis-bundle.json'))).bundle;

function cli(args: string[]) {
  return spawnSync(process.execPath, [tsx, main, ...args], { cwd: repoRoot, encoding: 'utf8' });
}

function rules(w: ScanJson['workloads'][number]): string[] {
  return [...new Set(w.violations.map((v) => `${v.policy}/${v.rule}`))].sort();
}

describe('scan of the seeds\u2019 example workloads against the shipped bundle', { timeout: 60_000 }, () => {
  let out: ScanJson;
  let status: number | null;
  beforeAll(() => {
    const r = cli(['scan', 'examples/workloads', '-o', 'json', '--now', NOW]);
    status = r.status;
    out = JSON.parse(r.stdout);
  });

  it('would block nginx:latest from a public registry and the privileged root pod, nothing else', () => {
    expect(status).toBe(1);
    const blocked = Object.fromEntries(out.workloads.filter((w) => w.blocked).map((w) => [`${w.resource.kind}/${w.resource.name}`, rules(w)]));
    expect(blocked).toEqual({
      'Deployment/web': ['image-references/digest-only', 'image-references/no-latest', 'image-references/team-registry-only'],
      'Pod/debug-root': ['pod-security/restricted'],
    });
    const root = out.workloads.find((w) => w.resource.name === 'debug-root');
    expect(root?.violations.map((v) => v.control)).toEqual(expect.arrayContaining(['privileged', 'runAsNonRoot', 'runAsUser']));
    expect(root?.violations[0].message).toMatch(/^\[pod-security\/restricted\] .* To request an exemption: https:\/\//);
  });

  it('admits the pod without limits (defaults are mutated in first) and the signed, limited, non-root one', () => {
    expect(out.counts).toMatchObject({ workloads: 4, blocked: 2 });
    expect(out.workloads.map((w) => w.resource.name)).not.toContain('worker');
    expect(out.workloads.map((w) => w.resource.name)).not.toContain('payments-api');
    // labels of the production namespace were known, so required-labels did run on payments-api
    expect(out.unlabelledNamespaces).toEqual([]);
    expect(out.skippedSignatureRules).toEqual(['image-signatures/signed-by-ci', 'image-provenance/built-by-ci']);
  });
});

describe('the README\u2019s one-line change from Audit to Enforce', { timeout: 60_000 }, () => {
  let dir: string;
  let flipped: Bundle;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'portcullis-flip-'));
    const app = createReferenceApp({ outdir: dir, now: new Date(NOW) }, { ...config, modes: { ...config.modes, podSecurity: 'Enforce' } });
    flipped = app.build().bundle;
    writeFileSync(path.join(dir, 'flipped.json'), prettyCanonicalJson(flipped));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is one stricter change in `portcullis diff`', () => {
    expect(config.modes.podSecurity).toBe('Audit');
    const d = diffBundles(shipped, flipped, { now: new Date(NOW) });
    expect(d.changes.map((c) => `${c.direction}: ${toText(c.sentence)}`)).toEqual([
      'stricter: Policy "pod-security" switches from Audit to Enforce: requests that violate it are now denied (until now they were admitted with a warning).',
    ]);
    const md = cli(['diff', 'dist/portcullis-bundle.json', path.join(dir, 'flipped.json'), '-o', 'markdown', '--exit-code']);
    expect(md.status).toBe(1);
    expect(md.stdout).toContain('- **stricter**: Policy `pod-security` switches from Audit to Enforce');
  });

  it('then blocks the privileged pod with the bundle\u2019s own modes', () => {
    const before = JSON.parse(cli(['scan', 'examples/workloads', '-o', 'json', '--bundle-modes', '--now', NOW]).stdout) as ScanJson;
    expect(before.counts.blocked).toBe(0);
    const after = JSON.parse(
      cli(['scan', 'examples/workloads', '-o', 'json', '--bundle-modes', '--now', NOW, '--bundle', path.join(dir, 'flipped.json')]).stdout,
    ) as ScanJson;
    expect(after.workloads.filter((w) => w.blocked).map((w) => w.resource.name)).toEqual(['debug-root']);
  });
});

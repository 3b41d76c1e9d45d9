/** The synth entry point as cdk8s runs it: files on success; on refusal, problems and exit 1, no stack trace. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers';

const root = path.resolve(__dirname, '../..');

function runMain(now: string) {
  const out = tempDir();
  const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'policies/main.ts'], {
    cwd: root,
    env: { ...process.env, CDK8S_OUTDIR: out, PORTCULLIS_SYNTH_NOW: now },
    encoding: 'utf8',
  });
  return { ...r, out };
}

describe('policies/main.ts', () => {
  it('writes the manifests and the bundle file into the output folder', () => {
    const r = runMain('2026-11-01T00:00:00Z');
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(r.out)).toContain('portcullis-bundle.json');
    expect(readdirSync(r.out)).toContain('40-webhooks.k8s.yaml');
  });

  it('refuses an expired exemption with the problem list and exit code 1, writing nothing', () => {
    const r = runMain('2028-01-01T00:00:00Z');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\[pod-security\/network-tools\] \(policies\/pod-security\.ts:\d+\) expired at 2027-03-31/);
    expect(r.stderr).not.toMatch(/at PortcullisApp\.build/);
    expect(existsSync(path.join(r.out, 'portcullis-bundle.json'))).toBe(false);
  });
});

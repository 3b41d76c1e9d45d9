/**
 * A refused synth never changes dist/: `portcullis synth` and plain `cdk8s synth` write to the
 * staging folder, and the app publishes dist/ only after a successful synth (constructs/publish.ts).
 * Each case runs the real commands in a throw-away project whose app imports this repo's constructs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { listFiles, publishDirectory } from '../../constructs/publish';
import { tempDir } from './helpers';

const root = path.resolve(__dirname, '../..');
const tsx = require.resolve('tsx/cli');
const cdk8sCli = path.join(root, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s');
const portcullis = path.join(root, 'bin', 'portcullis');

/** Every file under dir with its sha256 (relative path → hash). */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(listFiles(dir).map((f) => [f, createHash('sha256').update(readFileSync(path.join(dir, f))).digest('hex')]));
}

const APP = (constructs: string) => `
import { Exemption, PodSecurity, Policy, PortcullisApp, synthesizeOrExit } from ${JSON.stringify(constructs)};

const app = new PortcullisApp({ name: 'publish-test' });
const policy = new Policy(app, 'pod-security', { mode: 'Audit' });
new PodSecurity(policy, 'restricted', { level: 'restricted' });
new Exemption(policy, 'debug-tools', {
  owner: 'team-a',
  reason: 'debugging (INC-1)',
  expiresAt: '2027-01-01T00:00:00Z',
  namespaces: ['debug'],
  controls: [{ control: 'privileged' }],
});
synthesizeOrExit(app);
`;

function project(): string {
  const dir = tempDir('portcullis-publish-');
  writeFileSync(path.join(dir, 'app.ts'), APP(path.join(root, 'constructs')));
  writeFileSync(path.join(dir, 'cdk8s.yaml'), `app: '${process.execPath} ${tsx} app.ts'\noutput: .portcullis/synth\n`);
  return dir;
}

function run(cwd: string, args: string[], now: string) {
  return spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, PORTCULLIS_SYNTH_NOW: now } });
}

const VALID = '2026-06-01T00:00:00Z';
const EXPIRED = '2027-06-01T00:00:00Z';

describe('publishDirectory', () => {
  it('replaces the target with the staged files, drops stale ones and leaves no temporary folder', () => {
    const parent = tempDir();
    const staged = path.join(parent, 'staged');
    const target = path.join(parent, 'dist');
    mkdirSync(path.join(staged, 'sub'), { recursive: true });
    writeFileSync(path.join(staged, 'a.yaml'), 'new a');
    writeFileSync(path.join(staged, 'sub', 'b.json'), '{}');
    mkdirSync(target);
    writeFileSync(path.join(target, 'a.yaml'), 'old a');
    writeFileSync(path.join(target, 'stale.yaml'), 'gone');
    publishDirectory(staged, target);
    expect(listFiles(target)).toEqual(['a.yaml', 'sub/b.json']);
    expect(readFileSync(path.join(target, 'a.yaml'), 'utf8')).toBe('new a');
    expect(readdirSync(parent).sort()).toEqual(['dist', 'staged']);
  });

  it('creates the target when there was none', () => {
    const parent = tempDir();
    mkdirSync(path.join(parent, 'staged'));
    writeFileSync(path.join(parent, 'staged', 'x'), '1');
    publishDirectory(path.join(parent, 'staged'), path.join(parent, 'out', 'dist'));
    expect(listFiles(path.join(parent, 'out', 'dist'))).toEqual(['x']);
  });
});

describe('a refused synth leaves dist/ byte-identical', () => {
  let dir: string;
  let before: Record<string, string>;

  beforeEach(() => {
    dir = project();
    const r = run(dir, [portcullis, 'synth'], VALID);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/published 7 files to dist\//);
    before = snapshot(path.join(dir, 'dist'));
    expect(Object.keys(before)).toContain('portcullis-bundle.json');
  });

  it('portcullis synth: construct messages, no stack trace, exit 1', () => {
    const r = run(dir, [portcullis, 'synth'], EXPIRED);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\[pod-security\/debug-tools\] \(app\.ts:\d+\) expired at 2027-01-01/);
    expect(r.stderr).toContain('dist/ was left unchanged.');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(snapshot(path.join(dir, 'dist'))).toEqual(before);
  });

  it('plain cdk8s synth (which empties its output folder first)', () => {
    const r = run(dir, [cdk8sCli, 'synth', '--no-check-upgrade'], EXPIRED);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/expired at 2027-01-01/);
    expect(snapshot(path.join(dir, 'dist'))).toEqual(before);
  });

  it('a successful plain cdk8s synth publishes dist/; --output DIR writes DIR only', () => {
    writeFileSync(path.join(dir, 'dist', 'stale.k8s.yaml'), 'kind: Stale\n');
    const r = run(dir, [cdk8sCli, 'synth', '--no-check-upgrade'], VALID);
    expect(r.status, r.stderr).toBe(0);
    expect(snapshot(path.join(dir, 'dist'))).toEqual(before);
    const out = path.join(tempDir(), 'fresh');
    writeFileSync(path.join(dir, 'dist', 'marker'), 'kept');
    const o = run(dir, [portcullis, 'synth', '--output', out], VALID);
    expect(o.status, o.stderr).toBe(0);
    expect(snapshot(out)).toEqual(before);
    expect(existsSync(path.join(dir, 'dist', 'marker'))).toBe(true);
  });

  it('refuses a cdk8s.yaml that synthesizes straight into dist/, touching nothing', () => {
    writeFileSync(path.join(dir, 'cdk8s.yaml'), `app: node app.js\noutput: dist\n`);
    const r = run(dir, [portcullis, 'synth'], VALID);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Fix: set "output: .portcullis/synth"');
    expect(snapshot(path.join(dir, 'dist'))).toEqual(before);
  });
});

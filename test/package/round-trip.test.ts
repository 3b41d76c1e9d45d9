/**
 * The round trip a platform team makes, from the package alone: `npm pack` this repository (prepack
 * builds lib/) → install the tarball in a scratch folder and run its `portcullis init` with the
 * team's values → `npm install` the scaffold (npm registry only) → `npm run synth` → the fixtures
 * pass → the consumer's `tsc` passes with strict on and off (skipLibCheck false) → one copy of
 * `constructs` → a refused synth (a placeholder put back) leaves dist/ byte-identical, through
 * `npm run synth` and plain `cdk8s synth` → flip pod-security to Enforce → the synthesized
 * ValidatingAdmissionPolicy (hybrid: pod-security runs in the API server), evaluated as the API
 * server does, denies a privileged Pod with the webhook's message → `portcullis serve --dev` answers
 * AdmissionReviews on the synthesized /mutate/<group> path of the resource defaults (webhook-only).
 *
 * Slow (it installs from the npm registry) and run on every CI as part of `npm test`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callHttps } from '../helpers/tls';
import { evaluateNative } from '../native/cel-harness';
import { distNativePolicies } from '../native/dist-policies';
import { review } from '../server/fixtures';

const ROOT = path.resolve(__dirname, '../..');
const MINUTE = 60_000;

/** The environment of every child: no npm_* variables of an enclosing `npm test` (they would point npm at this repo). */
function childEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || keep.has(k.toLowerCase())) env[k] = v;
  return { ...env, CI: 'true', NO_UPDATE_NOTIFIER: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (killed after `timeoutMs`). */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 5 * MINUTE): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(cmd: string, args: string[], cwd: string, timeoutMs?: number): Promise<Run> {
  const r = await run(cmd, args, cwd, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Every file under dir with its bytes (base64), for byte-identical comparisons. */
function snapshot(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) Object.assign(out, snapshot(dir, r));
    else out[r] = readFileSync(path.join(dir, r), 'base64');
  }
  return out;
}

/** Installed copies of a package: every node_modules/<name>/package.json naming it. */
function installedCopies(nodeModules: string, name: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const pkgDir = path.join(dir, e.name);
      if (e.name.startsWith('@')) {
        walk(pkgDir);
        continue;
      }
      const manifest = path.join(pkgDir, 'package.json');
      if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) out.push(pkgDir);
      walk(path.join(pkgDir, 'node_modules'));
    }
  };
  walk(nodeModules);
  return out;
}

const PRIVILEGED_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'debug', namespace: 'shop' },
  spec: { containers: [{ name: 'shell', image: 'nginx:latest', securityContext: { privileged: true, runAsUser: 0 } }] },
};

const RESTRICTED_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'api', namespace: 'shop' },
  spec: {
    securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'api',
        image: 'registry.acme.example/shop/api:1.4.2',
        resources: { limits: { cpu: '1', memory: '512Mi' } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
    ],
  },
};

const work = mkdtempSync(path.join(tmpdir(), 'portcullis-round-trip-'));
let server: ChildProcess | undefined;

afterAll(() => {
  if (server !== undefined && server.exitCode === null) server.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('npm pack → portcullis init → npm install → synth → test → tsc → serve', () => {
  it(
    'works from the tarball alone, and a refused synth never changes dist/',
    async () => {
      const started = Date.now();
      const step = (what: string): void => console.log(`[round-trip] ${((Date.now() - started) / 1000).toFixed(1)}s ${what}`);

      // 1. the package
      const packed = await ok('npm', ['pack', '--json', '--pack-destination', work], ROOT, 5 * MINUTE);
      const [pack] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{
        filename: string;
        size: number;
        unpackedSize: number;
        files: Array<{ path: string }>;
      }>;
      const tgz = path.join(work, pack.filename);
      const shipped = pack.files.map((f) => f.path);
      expect(shipped).toEqual(expect.arrayContaining(['bin/portcullis', 'lib/constructs/index.js', 'lib/constructs/index.d.ts', 'lib/runtime/cli/init-command.js', 'lib/runtime/cli/init/policies.js']));
      expect(shipped.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
      console.log(`[round-trip] tarball ${pack.filename}: ${pack.size} bytes packed (${(pack.size / 1024).toFixed(0)} KiB), ${pack.unpackedSize} bytes unpacked (${(pack.unpackedSize / 1024).toFixed(0)} KiB), ${shipped.length} files`);
      step('packed');

      // 2. portcullis init, run from the installed tarball, with the team's values
      const cli = path.join(work, 'cli');
      mkdirSync(cli);
      writeFileSync(path.join(cli, 'package.json'), '{ "name": "scratch", "private": true }\n');
      await ok('npm', ['install', '--no-package-lock', tgz], cli, 10 * MINUTE);
      step('tarball installed in a scratch folder');
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pub = path.join(work, 'cosign.pub');
      writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
      const repo = path.join(work, 'acme-policies');
      const init = await ok(
        process.execPath,
        [
          path.join(cli, 'node_modules/portcullis/bin/portcullis'),
          ...['init', repo, '--name', 'acme', '--registry', 'registry.acme.example', '--public-key', pub],
          ...['--keyless-identity', 'https://github.com/acme/build/.github/workflows/release.yml@refs/heads/main', '--keyless-issuer', 'https://token.actions.githubusercontent.com'],
          ...['--runtime-image', 'registry.acme.example/platform/portcullis:0.2.0', '--exemption-help', 'https://github.com/acme/policies/issues/new'],
          ...['--repo-url', 'https://github.com/acme/policies.git', '--portcullis-spec', tgz],
        ],
        work,
      );
      expect(init.stdout).toContain('no placeholders to fill in');
      console.log(`[round-trip] scaffold: ${Object.keys(snapshot(repo)).sort().join(', ')}`);

      // 3. npm install (npm registry only), synth, fixtures, tsc
      await ok('npm', ['install'], repo, 10 * MINUTE);
      step('consumer installed');
      const synth = await ok('npm', ['run', 'synth'], repo);
      expect(synth.stdout).toMatch(/published \d+ files to dist\//);
      const dist = path.join(repo, 'dist');
      const bundle = JSON.parse(readFileSync(path.join(dist, 'portcullis-bundle.json'), 'utf8')) as {
        metadata: { name: string };
        policies: Array<{ name: string; mode: string }>;
        webhooks: Array<{ type: string; path: string; policies: string[] }>;
      };
      expect(bundle.metadata.name).toBe('acme');
      expect(readdirSync(dist)).toEqual(expect.arrayContaining(['00-namespace.k8s.yaml', '30-runtime.k8s.yaml', '40-webhooks.k8s.yaml']));
      step('synthesized');

      const fixtures = await ok('npx', ['portcullis', 'test', 'policies/fixtures'], repo);
      expect(fixtures.stdout).toMatch(/expectation\(s\): \d+ passed, 0 failed/);
      // npm test = tsc --noEmit with the scaffold's tsconfig (strict, skipLibCheck false) + the fixtures from source
      expect(JSON.parse(readFileSync(path.join(repo, 'tsconfig.json'), 'utf8')).compilerOptions).toMatchObject({ strict: true, skipLibCheck: false });
      expect(JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).scripts.test).toMatch(/^tsc --noEmit && /);
      await ok('npm', ['test'], repo);
      writeFileSync(path.join(repo, 'tsconfig.loose.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { strict: false, skipLibCheck: false } }));
      await ok('npx', ['tsc', '--noEmit', '-p', 'tsconfig.loose.json'], repo);
      step('fixtures and tsc (strict and not) passed');

      // CI's freshness check: portcullis synth --output <tmp> equals the committed dist/
      const fresh = path.join(work, 'fresh');
      await ok('npx', ['portcullis', 'synth', '--output', fresh], repo);
      expect(snapshot(fresh)).toEqual(snapshot(dist));
      const git = (...args: string[]): Promise<Run> => ok('git', ['-c', 'user.name=Round Trip', '-c', 'user.email=rt@acme.example', '-c', 'commit.gpgsign=false', ...args], repo);
      await git('init', '-q');
      await git('add', '.');
      await git('commit', '-q', '-m', 'policies in Audit');

      expect(installedCopies(path.join(repo, 'node_modules'), 'constructs').map((d) => path.relative(repo, d))).toEqual([path.join('node_modules', 'constructs')]);

      // 4. a refused synth leaves dist/ byte-identical: npm run synth and plain cdk8s synth
      const before = snapshot(dist);
      const configFile = path.join(repo, 'policies/config.ts');
      const filled = readFileSync(configFile, 'utf8');
      const unfilled = filled
        .replace("registry: 'registry.acme.example',", "registry: placeholder('your registry host'),")
        .replace(/^\/\/ import \{ placeholder \} from 'portcullis';.*$/m, "import { placeholder } from 'portcullis';");
      expect(unfilled).not.toBe(filled);
      writeFileSync(configFile, unfilled);
      const line = unfilled.split('\n').findIndex((l) => l.includes('registry: placeholder(')) + 1;
      for (const [cmd, args] of [['npm', ['run', 'synth']], ['npx', ['cdk8s', 'synth']]] as const) {
        const refused = await run(cmd, [...args], repo);
        expect(refused.code, `${cmd} ${args.join(' ')}`).not.toBe(0);
        expect(`${refused.stdout}${refused.stderr}`).toContain(`(policies/config.ts:${line}) registry is still a placeholder`);
        expect(snapshot(dist), `${cmd} ${args.join(' ')} changed dist/`).toEqual(before);
      }
      writeFileSync(configFile, filled);
      step('refused synths left dist/ unchanged');

      // 5. Audit → Enforce for pod-security
      writeFileSync(configFile, filled.replace("podSecurity: 'Audit'", "podSecurity: 'Enforce'"));
      await ok('npm', ['run', 'synth'], repo);
      const enforced = JSON.parse(readFileSync(path.join(dist, 'portcullis-bundle.json'), 'utf8')) as typeof bundle;
      expect(enforced.policies.find((p) => p.name === 'pod-security')?.mode).toBe('Enforce');
      // what CI posts on the pull request
      await git('commit', '-q', '-a', '-m', 'pod-security: Enforce');
      const diff = await ok('npx', ['portcullis', 'diff', 'HEAD~1', 'HEAD', '-o', 'markdown'], repo);
      expect(diff.stdout).toMatch(/pod-security/);
      expect(diff.stdout).toMatch(/Enforce/);

      // pod-security runs in the API server (the scaffold's enforcement is hybrid): its policy and
      // binding, evaluated as the API server does, deny the privileged Pod with the webhook's message.
      const vap = distNativePolicies(dist).get('portcullis-pod-security');
      if (vap === undefined) throw new Error('no ValidatingAdmissionPolicy portcullis-pod-security in dist/');
      expect(vap.validationActions).toEqual(['Deny']);
      const podRequest = (object: Record<string, unknown>) => ({
        operation: 'CREATE' as const,
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        namespace: 'shop',
        object,
      });
      const nativeDenial = evaluateNative(vap, podRequest(PRIVILEGED_POD));
      expect(nativeDenial.failures.map((f) => f.message).join(' | ')).toMatch(/\[pod-security\/restricted\] privileged: .*https:\/\/github\.com\/acme\/policies\/issues\/new/);
      expect(evaluateNative(vap, podRequest(RESTRICTED_POD)).failures).toEqual([]);
      expect(enforced.webhooks.some((w) => w.type === 'validating' && w.policies.includes('pod-security'))).toBe(false);
      step('the ValidatingAdmissionPolicy decided');

      // The resource defaults stay on the (mutating) webhook: the runtime answers with the patch.
      const webhook = enforced.webhooks.find((w) => w.type === 'mutating' && w.policies.includes('resource-defaults'));
      expect(webhook?.path).toMatch(/^\/mutate\/[a-z0-9-]+$/);

      const port = await freePort();
      const certs = path.join(work, 'dev-certs');
      server = spawn(
        path.join(repo, 'node_modules/.bin/portcullis'),
        ['serve', '--dev', '--dev-certs-dir', certs, '--bundle', 'dist/portcullis-bundle.json', '--port', String(port)],
        { cwd: repo, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let log = '';
      server.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      try {
        const deadline = Date.now() + MINUTE;
        let ready = false;
        while (!ready) {
          if (server.exitCode !== null || Date.now() > deadline) throw new Error(`portcullis serve did not become ready:\n${log}`);
          try {
            ready = existsSync(path.join(certs, 'ca.crt')) && (await callHttps({ port, path: '/readyz', ca: readFileSync(path.join(certs, 'ca.crt')) })).status === 200;
          } catch {
            ready = false;
          }
          if (!ready) await new Promise((r) => setTimeout(r, 200));
        }
        const ca = readFileSync(path.join(certs, 'ca.crt'));
        const answer = await callHttps({ port, path: webhook?.path ?? '', ca, body: JSON.stringify(review({ uid: 'rt-1', object: PRIVILEGED_POD })) });
        expect(answer.status).toBe(200);
        const response = (JSON.parse(answer.text) as { response: { uid: string; allowed: boolean; patchType?: string; patch?: string } }).response;
        expect(response).toMatchObject({ uid: 'rt-1', allowed: true, patchType: 'JSONPatch' });
        const patch = JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8')) as { op: string; path: string; value?: unknown }[];
        expect(patch).toContainEqual(expect.objectContaining({ op: 'add', path: '/spec/containers/0/resources' }));
        const limited = await callHttps({ port, path: webhook?.path ?? '', ca, body: JSON.stringify(review({ uid: 'rt-2', object: RESTRICTED_POD })) });
        expect(JSON.parse(limited.text)).toMatchObject({ response: { uid: 'rt-2', allowed: true } });
        step(`portcullis serve answered on ${webhook?.path ?? ''}`);
      } finally {
        server.kill('SIGTERM');
        await new Promise<void>((resolve) => {
          if (server?.exitCode !== null) resolve();
          else server.on('exit', () => resolve());
          setTimeout(() => {
            server?.kill('SIGKILL');
            resolve();
          }, 10_000).unref();
        });
      }
      console.log(`[round-trip] duration ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
    30 * MINUTE,
  );
});

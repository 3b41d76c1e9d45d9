/**
 * `portcullis serve` as a real process: flags and environment, `--dev` certificate generation, and
 * graceful shutdown on SIGTERM (readiness false, listener closed, in-flight request answered, exit
 * 0 — or exit 1 when the grace period runs out).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleHash, prettyCanonicalJson } from '../../runtime/bundle';
import { parseServeArgs, serverOptions, type ServeConfig } from '../../runtime/cli/serve-command';
import { ensureDevCertificates } from '../../runtime/server/dev-certs';
import { callHttps, createTestPki, type TestPki } from '../helpers/tls';
import { COMPLIANT_CONTAINER, PATHS, pod, review, testBundle } from './fixtures';
import { waitFor } from './harness';

const ROOT = resolve(__dirname, '../..');

interface Running {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  exited: Promise<number | null>;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-serve-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startServe(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'runtime/cli/main.ts'), 'serve', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let port = 0;
  await waitFor('the server to listen', () => {
    const m = /Server listening at https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    if (m !== null) port = Number(m[1]);
    return port !== 0 || child.exitCode !== null;
  }, 30_000);
  if (port === 0) throw new Error(`serve exited early:\n${out}`);
  return { child, port, stdout: () => out, exited };
}

function writeBundle(dir: string): string {
  const file = join(dir, 'bundle.json');
  writeFileSync(file, prettyCanonicalJson(testBundle()));
  return file;
}

describe('parseServeArgs', () => {
  it('reads flags, then environment, with production defaults', () => {
    const c = parseServeArgs(['--bundle', 'b.json', '--tls-cert=c.crt', '--tls-key', 'k.key'], {});
    expect(c).toMatchObject({ bundle: 'b.json', tlsCert: 'c.crt', tlsKey: 'k.key', port: 8443, host: '0.0.0.0', dev: false, shutdownDelayMs: 2000, graceMs: 25000, bodyBudgetMib: 24 });
    const hash = `sha256:${'a'.repeat(64)}`;
    const e = parseServeArgs(['--port', '9443'], {
      PORTCULLIS_BUNDLE: '/etc/portcullis/bundle/bundle.json',
      PORTCULLIS_TLS_CERT: '/etc/portcullis/tls/tls.crt',
      PORTCULLIS_TLS_KEY: '/etc/portcullis/tls/tls.key',
      PORTCULLIS_PORT: '7443',
      PORTCULLIS_BUNDLE_HASH: hash,
    });
    expect(e).toMatchObject({ bundle: '/etc/portcullis/bundle/bundle.json', port: 9443, expectedHash: hash });
    expect(parseServeArgs(['--bundle', 'b', '--dev'], { PORTCULLIS_BODY_BUDGET_MIB: '48' })).toMatchObject({ bodyBudgetMib: 48 });
    expect(parseServeArgs(['--bundle', 'b', '--dev', '--body-budget-mib=12'], { PORTCULLIS_BODY_BUDGET_MIB: '48' })).toMatchObject({ bodyBudgetMib: 12 });
  });

  it('refuses what it cannot run with a message', () => {
    expect(parseServeArgs([], {})).toEqual({ error: expect.stringContaining('--bundle') });
    expect(parseServeArgs(['--bundle', 'b'], {})).toEqual({ error: expect.stringContaining('--dev to generate them') });
    expect(parseServeArgs(['--bundle', 'b', '--tls-cert', 'c'], {})).toEqual({ error: expect.stringContaining('go together') });
    expect(parseServeArgs(['--bundle', 'b', '--dev', '--port', '99999'], {})).toEqual({ error: expect.stringContaining('between 0 and 65535') });
    expect(parseServeArgs(['--bundle', 'b', '--dev', '--frobnicate'], {})).toEqual({ error: expect.stringContaining('unknown option') });
    expect(parseServeArgs(['--bundle', 'b', '--dev', '--body-budget-mib', '0'], {})).toEqual({ error: expect.stringContaining('--body-budget-mib must be between 1 and 4096') });
    expect(parseServeArgs(['--bundle', 'b', '--dev'], { PORTCULLIS_BUNDLE_HASH: 'abc' })).toEqual({ error: expect.stringContaining('sha256:') });
  });

  it('hands the body budget to the server in bytes', () => {
    const c = parseServeArgs(['--bundle', 'b', '--dev', '--body-budget-mib', '40'], {}) as ServeConfig;
    expect(serverOptions(c).bodyBudget).toEqual({ capacityBytes: 40 * 1024 * 1024 });
  });

  it('--dev: loopback, no drain delay, certificates from the dev directory', () => {
    const c = parseServeArgs(['--bundle', 'b', '--dev', '--dev-certs-dir', '/tmp/x'], {});
    expect(c).toMatchObject({ host: '127.0.0.1', shutdownDelayMs: 0, tlsCert: '/tmp/x/tls.crt', tlsKey: '/tmp/x/tls.key' });
  });
});

describe('development certificates', () => {
  it('generates a CA and a localhost certificate once and reuses them while valid', () => {
    const dir = join(tempDir(), 'certs');
    const first = ensureDevCertificates(dir);
    expect(first.created).toBe(true);
    expect(statSync(first.key).mode & 0o077).toBe(0);
    expect(existsSync(join(dir, 'ca.key'))).toBe(false);
    expect(ensureDevCertificates(dir).created).toBe(false);
    // Nearly expired (as seen 29.5 days later): regenerated.
    expect(ensureDevCertificates(dir, Date.now() + 29.5 * 86_400_000).created).toBe(true);
  });
});

describe('portcullis serve (process)', () => {
  it('--dev without certificates serves HTTPS with a generated CA and prints how to call it', async () => {
    const dir = tempDir();
    const bundle = writeBundle(dir);
    const certs = join(dir, 'dev-certs');
    const s = await startServe(['--dev', '--bundle', bundle, '--dev-certs-dir', certs, '--port', '0']);
    // The banner is printed once listening, after the line startServe waits for.
    await waitFor('the dev banner', () => s.stdout().includes('curl --cacert'));
    expect(s.stdout()).toContain(`CA certificate:      ${join(certs, 'ca.crt')}`);
    expect(s.stdout()).toContain('curl --cacert');
    const ca = (await import('node:fs')).readFileSync(join(certs, 'ca.crt'));
    const r = await callHttps({ port: s.port, path: PATHS.validate, ca, body: JSON.stringify(review({ object: pod('web', [COMPLIANT_CONTAINER]) })) });
    expect(JSON.parse(r.text).response.allowed).toBe(true);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('exits 2 with a message when the bundle file does not exist', async () => {
    const pki = createTestPki();
    cleanups.push(() => pki.cleanup());
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'runtime/cli/main.ts'), 'serve', '--bundle', '/nonexistent/bundle.json', '--tls-cert', pki.certPath, '--tls-key', pki.keyPath], { cwd: ROOT });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(err).toContain('/nonexistent/bundle.json does not exist');
  });

  describe('SIGTERM', () => {
    let pki: TestPki;

    async function started(extra: string[]): Promise<Running> {
      pki = createTestPki();
      cleanups.push(() => pki.cleanup());
      const dir = tempDir();
      const bundle = writeBundle(dir);
      return startServe(
        ['--bundle', bundle, '--port', '0', '--host', '127.0.0.1', ...extra],
        { PORTCULLIS_TLS_CERT: pki.certPath, PORTCULLIS_TLS_KEY: pki.keyPath, PORTCULLIS_BUNDLE_HASH: bundleHash(testBundle()) },
      );
    }

    /** A request whose body is only half sent: in flight until `finish()`. */
    async function halfSentRequest(port: number): Promise<{ finish: () => void; response: Promise<string> }> {
      const body = JSON.stringify(review({ object: pod('web', [COMPLIANT_CONTAINER]) }));
      const socket = connect({ host: '127.0.0.1', port, ca: pki.ca.cert, servername: 'localhost' });
      await new Promise<void>((r, j) => {
        socket.once('secureConnect', () => r());
        socket.once('error', j);
      });
      let text = '';
      const response = new Promise<string>((r) => {
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('end', () => r(text));
        socket.on('close', () => r(text));
      });
      const half = Math.floor(body.length / 2);
      socket.write(`POST ${PATHS.validate} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`);
      return { finish: () => socket.write(body.slice(half)), response };
    }

    it('goes unready, stops accepting, answers the in-flight request, then exits 0', async () => {
      const s = await started(['--shutdown-delay-ms', '1500', '--grace-ms', '10000']);
      const inflight = await halfSentRequest(s.port);
      s.child.kill('SIGTERM');
      await waitFor('readiness false', async () => (await callHttps({ port: s.port, path: '/readyz', ca: pki.ca.cert })).status === 503);
      expect((await callHttps({ port: s.port, path: '/healthz', ca: pki.ca.cert })).status).toBe(200);
      await waitFor('the listener to close', async () => {
        try {
          await callHttps({ port: s.port, path: '/healthz', ca: pki.ca.cert });
          return false;
        } catch (err) {
          return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
        }
      });
      expect(s.child.exitCode).toBeNull();
      inflight.finish();
      const raw = await inflight.response;
      expect(raw).toMatch(/^HTTP\/1\.1 200/);
      expect(raw.toLowerCase()).toContain('connection: close');
      expect(raw).toContain('"allowed":true');
      expect(await s.exited).toBe(0);
      expect(s.stdout()).toContain('shut down: all requests answered');
    });

    it('exits 1 when the grace period runs out with a request still in flight', async () => {
      const s = await started(['--shutdown-delay-ms', '0', '--grace-ms', '500']);
      await halfSentRequest(s.port);
      const t0 = Date.now();
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(1);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(s.stdout()).toContain('shutdown grace period expired');
    });
  });
});

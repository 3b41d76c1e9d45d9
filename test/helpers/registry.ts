/**
 * Starts Debian's `docker-registry` (distribution 2.8.x) as a plain process on 127.0.0.1 with a
 * random free port and a minimal config in a temp dir. When the binary is missing: with env `CI`
 * set, `startRegistry()` throws loudly; otherwise `registryAvailable()` is false and callers skip
 * with the notice returned by `registrySkipNotice()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';

export const REGISTRY_BINARY = process.env.PORTCULLIS_REGISTRY_BINARY ?? '/usr/bin/docker-registry';

export function registryAvailable(): boolean {
  if (existsSync(REGISTRY_BINARY)) return true;
  if (process.env.CI) {
    throw new Error(`${REGISTRY_BINARY} is missing: CI must install Debian's docker-registry (see .ci/run)`);
  }
  return false;
}

/** Print (once per file) why registry tests are skipped, so a local run shows it. */
export function registrySkipNotice(): string {
  const notice = `NOTICE: ${REGISTRY_BINARY} not found — registry-backed image tests are SKIPPED (apt-get install docker-registry)`;
  process.stderr.write(`${notice}\n`);
  return notice;
}

export interface RunningRegistry {
  /** `127.0.0.1:<port>` — the host as image references name it. */
  host: string;
  port: number;
  url: string;
  stop(): Promise<void>;
  /** Restart on the same port and storage (after `stop`). */
  start(): Promise<void>;
  /** Stop and delete the temp dir (and the storage, unless it was borrowed). */
  destroy(): Promise<void>;
  storageDir: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function ping(port: number, tls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const doRequest = tls ? httpsRequest : request;
    // Readiness probe only: the test CA is not trusted by this process.
    const req = doRequest({ host: '127.0.0.1', port, path: '/v2/', method: 'GET', timeout: 500, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export interface RegistryOptions {
  /** Serve HTTPS with this certificate and key (PEM), written into the temp dir at run time. */
  tls?: { certPem: string; keyPem: string };
  /** Serve the storage of another registry (e.g. an HTTPS one over what a plain one was fed). */
  storageDir?: string;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  if (!registryAvailable()) throw new Error(`${REGISTRY_BINARY} is not installed`);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-registry-'));
  const port = await freePort();
  const storageDir = options.storageDir ?? join(dir, 'data');
  const tlsLines: string[] = [];
  if (options.tls) {
    writeFileSync(join(dir, 'tls.crt'), options.tls.certPem);
    writeFileSync(join(dir, 'tls.key'), options.tls.keyPem, { mode: 0o600 });
    tlsLines.push('  tls:', `    certificate: ${join(dir, 'tls.crt')}`, `    key: ${join(dir, 'tls.key')}`);
  }
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    ...tlsLines,
    '',
  ].join('\n');
  const configPath = join(dir, 'config.yml');
  writeFileSync(configPath, config);
  let child: ChildProcess | undefined;
  let stderr = '';

  const start = async (): Promise<void> => {
    stderr = '';
    const proc = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited (${proc.exitCode}): ${stderr}`);
      if (await ping(port, options.tls !== undefined)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`docker-registry did not become ready on port ${port}: ${stderr}`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };

  await start();
  return {
    host: `127.0.0.1:${port}`,
    port,
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    start,
    stop,
    storageDir,
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

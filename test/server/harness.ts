/**
 * A real server on 127.0.0.1 over HTTPS for tests: test PKI, the bundle and the TLS files in
 * kubelet-style projected volumes (so reload tests swap them exactly as Kubernetes does), captured
 * JSON logs, and a client that trusts only the test CA.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prettyCanonicalJson, type Bundle } from '../../runtime/bundle';
import { PortcullisServer, type ServerOptions } from '../../runtime/server/server';
import { captureLogs } from '../helpers/log-capture';
import { callHttps, issueLoopbackCert, issueTestCa, ProjectedVolume, type HttpsResponse } from '../helpers/tls';
import type { IssuedCertificate } from '../../runtime/server/x509';
import type { Json } from './fixtures';

export interface Harness {
  server: PortcullisServer;
  port: number;
  ca: IssuedCertificate;
  bundleVolume: ProjectedVolume;
  tlsVolume: ProjectedVolume;
  logs(): Record<string, unknown>[];
  /**
   * The admission lines of one review, once at least `count` are written (they are written at the
   * end of the event-loop turn that answered the review, which can be after its response arrives).
   */
  admissionLogs(uid: string, count?: number): Promise<Record<string, unknown>[]>;
  rawLogs(): string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<HttpsResponse & { json: Json }>;
  get(path: string): Promise<HttpsResponse>;
  close(): Promise<void>;
}

export async function startHarness(bundle: Bundle | string, options: Partial<ServerOptions> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-server-'));
  const ca = issueTestCa();
  const serving = issueLoopbackCert(ca);
  const bundleVolume = new ProjectedVolume(join(dir, 'bundle'), {
    'bundle.json': typeof bundle === 'string' ? bundle : prettyCanonicalJson(bundle),
  });
  const tlsVolume = new ProjectedVolume(join(dir, 'tls'), { 'tls.crt': serving.cert, 'tls.key': serving.key });
  const captured = captureLogs();
  const server = new PortcullisServer({
    bundlePath: bundleVolume.path('bundle.json'),
    tlsCertPath: tlsVolume.path('tls.crt'),
    tlsKeyPath: tlsVolume.path('tls.key'),
    logger: { level: 'info', stream: captured.stream },
    watch: { debounceMs: 50, pollMs: 0 },
    ...options,
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const harness: Harness = {
    server,
    port,
    ca,
    bundleVolume,
    tlsVolume,
    rawLogs: captured.text,
    logs: () =>
      captured
        .text()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    admissionLogs: async (uid, count = 1) => {
      const lines = (): Record<string, unknown>[] => harness.logs().filter((l) => l.msg === 'admission' && l.uid === uid);
      await waitFor(`${count} admission line(s) of ${uid}`, () => lines().length >= count);
      return lines();
    },
    post: async (path, body, headers) => {
      const r = await callHttps({ port, path, ca: ca.cert, body: typeof body === 'string' ? body : JSON.stringify(body), ...(headers === undefined ? {} : { headers }) });
      let json: unknown;
      try {
        json = JSON.parse(r.text);
      } catch {
        json = undefined;
      }
      return { ...r, json };
    },
    get: (path) => callHttps({ port, path, ca: ca.cert }),
    close: async () => {
      await server.shutdown({ graceMs: 5000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Poll until `check` returns true (reloads are asynchronous); fails with `what` after a while. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A real PortcullisServer for the reliability suite: test PKI and the bundle in a temp dir (never
 * the repo), JSON logs captured in memory, HTTPS on 127.0.0.1 when `listen` is asked for, and
 * Fastify's inject for fast in-process property runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prettyCanonicalJson, type Bundle } from '../../runtime/bundle';
import { PortcullisServer, type ServerOptions } from '../../runtime/server/server';
import { captureLogs } from '../helpers/log-capture';
import { callHttps, createTestPki, type TestPki } from '../helpers/tls';
import type { HttpAnswer } from './invariants';

export interface ReliabilityServer {
  server: PortcullisServer;
  pki: TestPki;
  dir: string;
  bundlePath: string;
  /** Port when listening (0 otherwise). */
  port: number;
  logs(): string;
  /** In-process request (no sockets). */
  inject(path: string, body: string, contentType?: string): Promise<HttpAnswer>;
  /** Real HTTPS request trusting only the test CA, over a keep-alive agent. */
  post(path: string, body: string, contentType?: string): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export async function startReliabilityServer(
  bundle: Bundle,
  { listen = false, ...options }: Partial<ServerOptions> & { listen?: boolean } = {},
): Promise<ReliabilityServer> {
  const pki = createTestPki('portcullis-reliability-');
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-reliability-bundle-'));
  const bundlePath = join(dir, 'bundle.json');
  writeFileSync(bundlePath, prettyCanonicalJson(bundle));
  const logs = captureLogs();
  const server = new PortcullisServer({
    bundlePath,
    tlsCertPath: pki.certPath,
    tlsKeyPath: pki.keyPath,
    logger: { level: 'info', stream: logs.stream },
    watch: false,
    ...options,
  });
  let port = 0;
  if (listen) {
    port = (await server.listen(0, '127.0.0.1')).port;
  } else {
    const loaded = server.reloadBundle();
    if (loaded.status === 'refused') throw new Error(`bundle refused: ${loaded.reason}`);
    await server.app.ready();
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  return {
    server,
    pki,
    dir,
    bundlePath,
    port,
    logs: logs.text,
    inject: async (path, body, contentType = 'application/json') => {
      const r = await server.app.inject({ method: 'POST', url: path, headers: { 'content-type': contentType }, payload: body });
      return { status: r.statusCode, body: r.body };
    },
    post: async (path, body, contentType = 'application/json') => {
      const r = await callHttps({ port, path, ca: pki.ca.cert, agent, body, headers: { 'content-type': contentType } });
      return { status: r.status, body: r.text };
    },
    close: async () => {
      agent.destroy();
      await server.shutdown({ graceMs: 5000 });
      pki.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

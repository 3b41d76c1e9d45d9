/**
 * The runtime's own hardening, against a real PortcullisServer on loopback HTTPS:
 * - body size (413 above the limit), header size (431), and connection-time limits: a client that
 *   dribbles its headers or its body (slowloris / slow POST) is cut off, a connection that never
 *   starts TLS is dropped, and the server keeps answering others meanwhile;
 * - TLS 1.2+ only — also when the process-wide default was lowered (NODE_OPTIONS=--tls-min-v1.0)
 *   and after a certificate rotation;
 * - JSON handling free of prototype pollution;
 * - no secrets or object bodies in the logs, on the allow/deny path and on the error paths.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, DEFAULT_CIPHERS, DEFAULT_MIN_VERSION, type SecureVersion, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../runtime/server/server';
import { admission } from '../helpers/admission';
import { issueLoopbackCert } from '../helpers/tls';
import { toReview } from './arbitraries';
import { enforceBundle, PATHS } from './fixtures';
import { checkAnswer } from './invariants';
import { startReliabilityServer, type ReliabilityServer } from './server-harness';
import { writeFileSync } from 'node:fs';

const SECRET = 'S3CR3T-do-not-log-7f3a9';

function review(extra: { env?: string; privileged?: boolean } = {}): { uid: string; body: string } {
  const uid = `h-${Math.random().toString(16).slice(2)}`;
  const input = admission(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'team-a', annotations: { 'example.com/token': extra.env ?? 'x' } },
      spec: {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'app',
            image: 'registry.example.com/app:1',
            env: [{ name: 'API_TOKEN', value: extra.env ?? 'x' }],
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, ...(extra.privileged ? { privileged: true } : {}) },
          },
        ],
      },
    },
    { uid },
  );
  return { uid, body: JSON.stringify(toReview(input)) };
}

/** Open a TLS connection (trusting the test CA) and resolve when the server closes it. */
function openTls(s: ReliabilityServer, opts: { minVersion?: SecureVersion; maxVersion?: SecureVersion; ciphers?: string } = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: s.port, ca: s.pki.ca.cert, servername: 'localhost', ...opts }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve(true);
      return;
    }
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.on('error', () => undefined);
  });
}

function rawResponse(socket: TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', () => undefined);
  });
}

describe('hardening: limits, TLS, JSON, logs', () => {
  let s: ReliabilityServer;
  beforeAll(async () => {
    s = await startReliabilityServer(enforceBundle(), {
      listen: true,
      timeouts: { headersMs: 1000, requestMs: 2000, checkIntervalMs: 200, handshakeMs: 1000 },
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('production defaults: bounded header, request and handshake times', async () => {
    const d = await startReliabilityServer(enforceBundle(), { listen: true });
    try {
      const srv = d.server.app.server;
      expect(srv.headersTimeout).toBeGreaterThan(0);
      expect(srv.headersTimeout).toBeLessThanOrEqual(10_000);
      // No AdmissionReview may take longer than the API server's longest webhook timeout (30 s).
      expect(srv.requestTimeout).toBeGreaterThan(0);
      expect(srv.requestTimeout).toBeLessThanOrEqual(30_000);
    } finally {
      await d.close();
    }
  });

  it(`refuses bodies above the limit (${DEFAULT_BODY_LIMIT_BYTES} bytes) with 413 and keeps serving`, async () => {
    const big = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { pad: 'x'.repeat(DEFAULT_BODY_LIMIT_BYTES) } });
    const a = await s.post(PATHS.validate, big);
    expect(a.status).toBe(413);
    const ok = review();
    expect(checkAnswer(await s.post(PATHS.validate, ok.body), ok.uid).response?.allowed).toBe(true);
  });

  it('refuses oversized headers with 431', async () => {
    const socket = await openTls(s);
    const response = rawResponse(socket);
    socket.write(`POST ${PATHS.validate} HTTP/1.1\r\nHost: localhost\r\nX-Pad: ${'a'.repeat(64 * 1024)}\r\nContent-Length: 2\r\n\r\n{}`);
    expect(await response).toMatch(/^HTTP\/1\.1 431/);
  });

  it('refuses ambiguous framing (Content-Length with Transfer-Encoding: request smuggling)', async () => {
    const socket = await openTls(s);
    const response = rawResponse(socket);
    socket.write(`POST ${PATHS.validate} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nPOST /validate/other HTTP/1.1\r\n\r\n`);
    expect(await response).toMatch(/^HTTP\/1\.1 400/);
  });

  it('cuts off a client that dribbles its headers (slowloris) and still answers others', async () => {
    const socket = await openTls(s);
    socket.write(`POST ${PATHS.validate} HTTP/1.1\r\nHost: localhost\r\n`);
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(`X-Slow-${Date.now()}: 1\r\n`);
    }, 100);
    try {
      const ok = review();
      expect(checkAnswer(await s.post(PATHS.validate, ok.body), ok.uid).response?.allowed).toBe(true);
      expect(await closedWithin(socket, 5000)).toBe(true);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
  });

  it('cuts off a client that dribbles its body (slow POST)', async () => {
    const socket = await openTls(s);
    socket.write(`POST ${PATHS.validate} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`);
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(' ');
    }, 100);
    try {
      expect(await closedWithin(socket, 6000)).toBe(true);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
  });

  it('drops a TCP connection that never starts the TLS handshake', async () => {
    const socket = netConnect({ host: '127.0.0.1', port: s.port });
    try {
      expect(await closedWithin(socket, 5000)).toBe(true);
    } finally {
      socket.destroy();
    }
  });

  it('speaks TLS 1.2 and 1.3, refuses TLS 1.1 and 1.0', async () => {
    for (const v of ['TLSv1.2', 'TLSv1.3'] as const) {
      const socket = await openTls(s, { minVersion: v, maxVersion: v });
      expect(socket.getProtocol()).toBe(v);
      socket.destroy();
    }
    for (const v of ['TLSv1.1', 'TLSv1'] as const) {
      await expect(openTls(s, { minVersion: v, maxVersion: v, ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow();
    }
  });

  it('refuses TLS 1.1 even when the process default was lowered, also after a certificate rotation', async () => {
    // The CommonJS module object (an ESM namespace import is read-only): what --tls-min-v1.0 sets.
    const tls = process.getBuiltinModule('node:tls');
    const saved = tls.DEFAULT_MIN_VERSION;
    const savedCiphers = tls.DEFAULT_CIPHERS;
    // --tls-min-v1.0 plus --tls-cipher-list=DEFAULT@SECLEVEL=0: what would let TLS 1.0/1.1 through.
    tls.DEFAULT_MIN_VERSION = 'TLSv1';
    tls.DEFAULT_CIPHERS = 'DEFAULT@SECLEVEL=0';
    const lowered = await startReliabilityServer(enforceBundle(), { listen: true });
    try {
      await expect(openTls(lowered, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow();
      const rotated = issueLoopbackCert(lowered.pki.ca, 'localhost');
      writeFileSync(lowered.pki.certPath, rotated.cert);
      writeFileSync(lowered.pki.keyPath, rotated.key);
      expect(lowered.server.reloadTls()).toBe(true);
      await expect(openTls(lowered, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow();
      const ok = await openTls(lowered);
      expect(['TLSv1.2', 'TLSv1.3']).toContain(ok.getProtocol());
      ok.destroy();
    } finally {
      tls.DEFAULT_MIN_VERSION = saved;
      tls.DEFAULT_CIPHERS = savedCiphers;
      await lowered.close();
    }
    expect(DEFAULT_MIN_VERSION).toBe(saved);
    expect(DEFAULT_CIPHERS).toBe(savedCiphers);
  });

  it('JSON with __proto__ / constructor.prototype is refused and pollutes nothing', async () => {
    const base = JSON.parse(review({ privileged: true }).body) as { request: { object: { spec: Record<string, unknown> } } };
    const bodies = [
      JSON.stringify(base).replace('{"apiVersion"', '{"__proto__":{"polluted":true,"allowed":true},"apiVersion"'),
      JSON.stringify(base).replace('"securityContext":{"allowPrivilegeEscalation"', '"securityContext":{"__proto__":{"privileged":false},"allowPrivilegeEscalation"'),
      JSON.stringify(base).replace('{"apiVersion"', '{"constructor":{"prototype":{"polluted":true}},"apiVersion"'),
    ];
    for (const body of bodies) {
      const a = await s.post(PATHS.validate, body);
      expect(a.status, a.body).toBe(400);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).allowed).toBeUndefined();
    }
  });

  it('logs neither secrets nor object bodies, on any path', async () => {
    const before = s.logs().length;
    const allowed = review({ env: SECRET });
    const denied = review({ env: SECRET, privileged: true });
    expect(checkAnswer(await s.post(PATHS.validate, allowed.body), allowed.uid).response?.allowed).toBe(true);
    expect(checkAnswer(await s.post(PATHS.validate, denied.body), denied.uid).response?.allowed).toBe(false);
    checkAnswer(await s.post(PATHS.mutate, allowed.body), allowed.uid);
    // Error paths: broken JSON around the secret, a wrong type, a schema failure, a bad object.
    await s.post(PATHS.validate, `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"${SECRET}",`);
    await s.post(PATHS.validate, `${SECRET}`);
    await s.post(PATHS.validate, `{"${SECRET}": [1, 2,, 3]}`);
    await s.post(PATHS.validate, allowed.body.replace('"operation":"CREATE"', `"operation":"${SECRET}"`));
    await s.post(PATHS.validate, allowed.body.replace('"containers":[', `"containers":"${SECRET}","x":[`));
    await s.post(PATHS.validate, allowed.body, 'text/plain');
    const logs = s.logs().slice(before);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain('API_TOKEN');
    expect(logs).not.toContain('BEGIN');
    for (const line of logs.split('\n').filter((l) => l.trim() !== '')) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry.object).toBeUndefined();
      expect(entry.body).toBeUndefined();
    }
  });
});

/**
 * Loopback registries that misbehave, for the fault matrix:
 *
 * - `startFaultyRegistry(upstreamPort)`: an HTTP proxy in front of the REAL registry (see
 *   ./registry.ts) whose behaviour is switched per case with `setFault()`: pass-through, slow
 *   answers, a body dripped byte by byte, fixed statuses (500s, 429 + Retry-After, once or always),
 *   corrupt or oversized manifests, and 404 for chosen blobs.
 * - `startBlackHole()`: accepts TCP connections and never answers a byte.
 *
 * Both track their open sockets and destroy them on `close()`, so a test that closes them leaves no
 * handle behind (the fault matrix checks that).
 */
import { createServer as createHttpServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';

export type Fault =
  | { kind: 'none' }
  /** Every answer waits `ms` before it starts. */
  | { kind: 'slow'; ms: number }
  /** Headers at once, then the body one byte every `intervalMs`. */
  | { kind: 'drip'; intervalMs: number }
  /** Answer `status` (with `retryAfter` seconds when set) — the first `times` requests, or all. */
  | { kind: 'status'; status: number; retryAfter?: string; times?: number }
  /** Manifests (GET) are not JSON; HEAD carries no digest, so clients must GET them. */
  | { kind: 'corrupt-manifest'; only?: 'signatures' }
  /** Manifest GETs answer `bytes` of JSON-looking data. */
  | { kind: 'oversized-manifest'; bytes: number }
  /** GET of these blobs answers 404 (a manifest that points at a missing blob). */
  | { kind: 'missing-blob'; digests: readonly string[] };

export interface FaultyRegistry {
  /** `127.0.0.1:<port>`, as image references name it. */
  host: string;
  port: number;
  setFault(fault: Fault): void;
  /** Requests seen (method and path), in order. */
  readonly log: readonly string[];
  /** Client connections open right now (idle keep-alive ones included). */
  readonly openConnections: number;
  close(): Promise<void>;
}

/** Listen on an ephemeral loopback port; resolves with the port. */
export function listenLoopback(server: Server | NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : 0);
    });
  });
}

function trackSockets(server: Server | NetServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  return sockets;
}

const isManifest = (url: string): boolean => /\/manifests\//.test(url);
const isSignatureManifest = (url: string): boolean => /\/manifests\/sha256-[0-9a-f]{64}(\.sig)?$/.test(url);

export async function startFaultyRegistry(upstreamPort: number): Promise<FaultyRegistry> {
  let fault: Fault = { kind: 'none' };
  let served = 0;
  const log: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  type Transform = (status: number, headers: Record<string, unknown>, body: Buffer) => [number, Record<string, unknown>, Buffer];
  const forward = (req: IncomingMessage, res: ServerResponse, transform?: Transform): void => {
    const headers = { ...req.headers };
    const upstream = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        let status = up.statusCode ?? 502;
        let outHeaders: Record<string, unknown> = { ...up.headers };
        let body: Buffer = Buffer.concat(chunks);
        if (transform) [status, outHeaders, body] = transform(status, outHeaders, body);
        delete outHeaders['transfer-encoding'];
        const upstreamLength = typeof outHeaders['content-length'] === 'string' ? outHeaders['content-length'] : String(body.length);
        outHeaders['content-length'] = req.method === 'HEAD' ? upstreamLength : String(body.length);
        if (res.destroyed) return;
        res.writeHead(status, outHeaders as Record<string, string>);
        res.end(req.method === 'HEAD' ? undefined : body);
      });
    });
    upstream.on('error', () => {
      if (!res.destroyed) {
        res.writeHead(502);
        res.end();
      }
    });
    req.pipe(upstream);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    log.push(`${req.method ?? ''} ${url}`);
    served += 1;
    const f = fault;
    switch (f.kind) {
      case 'none':
        forward(req, res);
        return;
      case 'slow':
        later(f.ms, () => (res.destroyed ? undefined : forward(req, res)));
        return;
      case 'drip': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000', 'docker-content-digest': `sha256:${'0'.repeat(64)}` });
        const tick = (): void => {
          if (res.destroyed) return;
          res.write(' ');
          later(f.intervalMs, tick);
        };
        tick();
        return;
      }
      case 'status':
        if (f.times !== undefined && served > f.times) {
          forward(req, res);
          return;
        }
        res.writeHead(f.status, { 'content-type': 'application/json', ...(f.retryAfter === undefined ? {} : { 'retry-after': f.retryAfter }) });
        res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `injected ${f.status}` }] }));
        return;
      case 'corrupt-manifest':
        if (!isManifest(url) || (f.only === 'signatures' && !isSignatureManifest(url))) {
          forward(req, res);
          return;
        }
        forward(req, res, (status, headers) => {
          delete headers['docker-content-digest'];
          return [status === 404 ? 404 : 200, { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, Buffer.from('{"schemaVersion":2,"layers":[{"digest":\u0000 not json')];
        });
        return;
      case 'oversized-manifest': {
        if (!isManifest(url)) {
          forward(req, res);
          return;
        }
        if (req.method === 'HEAD') {
          res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(f.bytes) });
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(f.bytes) });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let left = f.bytes;
        const pump = (): void => {
          while (left > 0 && !res.destroyed) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
              res.once('drain', pump);
              return;
            }
          }
          if (!res.destroyed) res.end();
        };
        pump();
        return;
      }
      case 'missing-blob': {
        const digest = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url)?.[1];
        if (digest !== undefined && f.digests.includes(digest)) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: digest }] }));
          return;
        }
        forward(req, res);
        return;
      }
    }
  };

  const server = createHttpServer(handle);
  // Long enough that a client that forgets its pooled connections is caught holding them.
  server.keepAliveTimeout = 30_000;
  const sockets = trackSockets(server);
  const port = await listenLoopback(server);
  return {
    host: `127.0.0.1:${port}`,
    port,
    setFault: (next) => {
      fault = next;
      served = 0;
    },
    get log() {
      return log;
    },
    get openConnections() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface BlackHole {
  host: string;
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Accepts TCP connections and never writes a byte: a registry that hangs. */
export async function startBlackHole(): Promise<BlackHole> {
  let connections = 0;
  const server = createNetServer(() => {
    connections += 1;
  });
  const sockets = trackSockets(server);
  const port = await listenLoopback(server);
  return {
    host: `127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Tiny loopback HTTP servers for registry failure cases: a forwarding proxy in front of the real
 * registry that can inject responses (429 + Retry-After, auth challenges), a black hole that
 * accepts connections and never answers, and a listener that records connection attempts (SSRF).
 */
import { createServer as createHttpServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';

export interface Injected {
  /** Never answer this request (a hung upstream). */
  hang?: boolean;
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoggedRequest {
  method: string;
  url: string;
  authorization?: string;
}

export interface TestProxy {
  host: string;
  url: string;
  log: LoggedRequest[];
  /** Hung requests whose connection the client has not closed yet. */
  readonly openHung: number;
  close(): Promise<void>;
}

export async function startProxy(
  targetPort: number,
  intercept: (req: IncomingMessage) => Injected | undefined = () => undefined,
): Promise<TestProxy> {
  const log: LoggedRequest[] = [];
  const hung = { open: 0 };
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    log.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    const injected = intercept(req);
    if (injected?.hang) {
      hung.open += 1;
      res.on('close', () => (hung.open -= 1));
      return;
    }
    if (injected) {
      res.writeHead(injected.status, injected.headers ?? {});
      res.end(injected.body ?? '');
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  return listen(server, log, hung);
}

function listen(server: Server, log: LoggedRequest[], hung: { open: number }): Promise<TestProxy> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        host: `127.0.0.1:${port}`,
        url: `http://127.0.0.1:${port}`,
        log,
        get openHung() {
          return hung.open;
        },
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

export interface TcpListener {
  host: string;
  port: number;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/** Accepts TCP connections and never writes a byte (a hung registry); counts connections. */
export function startBlackHole(): Promise<TcpListener> {
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server: NetServer = createNetServer((socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        host: `127.0.0.1:${port}`,
        port,
        get connections() {
          return state.connections;
        },
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/**
 * A tiny loopback HTTP proxy for registry failure cases: forwards to the real registry and can
 * inject responses (429 + Retry-After, auth challenges) or hang. (The black hole that accepts
 * connections and never answers is startBlackHole in test/helpers/faulty-registry.ts.)
 */
import { createServer as createHttpServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenLoopback } from '../helpers/faulty-registry';

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

async function listen(server: Server, log: LoggedRequest[], hung: { open: number }): Promise<TestProxy> {
  const port = await listenLoopback(server);
  return {
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
  };
}

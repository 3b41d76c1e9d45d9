/**
 * The admission runtime: a Fastify HTTPS server that loads the rule bundle, answers the webhook
 * paths it names, reports health and metrics, follows bundle and certificate rotations, and shuts
 * down gracefully. Side effects (files, sockets, timers) live here; decisions live in the engine.
 */
import { readFileSync } from 'node:fs';
import { ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Bundle } from '../bundle';
import type { ImageVerifier } from '../engine/types';
import { admissionRoutes } from './admission-routes';
import { BodyBudget, DEFAULT_BODY_BUDGET, type BodyBudgetOptions } from './body-budget';
import { BundleStore, type ReloadResult } from './bundle-state';
import { FileWatcher } from './file-watcher';
import { healthRoutes } from './health-routes';
import { createRuntimeLogger, type LoggerOptions, type RuntimeLogger } from './logging';
import { ServerMetrics } from './metrics';
import { metricsRoute } from './metrics-route';
import { readTlsMaterial, type TlsMaterial } from './tls-material';
import { typeboxValidatorCompiler } from './typebox-validator';

/**
 * The API server sends at most its own request limit per object (3 MiB) and an UPDATE carries two
 * objects (object + oldObject) plus the review envelope: 8 MiB leaves room for both, while still
 * bounding what one request can make this process buffer.
 */
export const DEFAULT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * Connection-time limits against slow clients (slowloris, slow POST, idle TLS handshakes). The API
 * server sends a whole AdmissionReview at once and never waits more than 30 s (the longest webhook
 * timeout) for an answer, so nothing legitimate comes near these.
 */
export interface ServerTimeouts {
  /** Time to receive the complete request headers. */
  headersMs?: number;
  /** Time to receive the complete request (headers and body). */
  requestMs?: number;
  /** How often idle connections are checked against the two limits above. */
  checkIntervalMs?: number;
  /** Time to complete the TLS handshake after the TCP connection opens. */
  handshakeMs?: number;
}

export const DEFAULT_TIMEOUTS: Required<ServerTimeouts> = { headersMs: 10_000, requestMs: 30_000, checkIntervalMs: 2_000, handshakeMs: 10_000 };

/** Never negotiate below TLS 1.2, whatever the process default (`--tls-min-v1.0`) says. */
export const TLS_MIN_VERSION = 'TLSv1.2';

export interface ServerOptions {
  bundlePath: string;
  tlsCertPath: string;
  tlsKeyPath: string;
  /** The hash the Deployment expects (PORTCULLIS_BUNDLE_HASH); any other bundle is refused. */
  expectedBundleHash?: string;
  /** One verifier for every bundle (tests); or build one per loaded bundle with `imageVerifierFor`. */
  images?: ImageVerifier;
  /**
   * Builds the verifier for a newly loaded bundle with verifyImages rules (its trusted roots travel
   * in the bundle). The previous bundle's verifier is closed once its requests can have finished.
   */
  imageVerifierFor?: (bundle: Bundle, metrics: ServerMetrics) => ImageVerifier & { close?(): void };
  metrics?: ServerMetrics;
  logger?: LoggerOptions | false;
  bodyLimitBytes?: number;
  /** In-flight budget for large bodies (defaults: DEFAULT_BODY_BUDGET). */
  bodyBudget?: Partial<BodyBudgetOptions>;
  /** Connection-time limits (defaults: DEFAULT_TIMEOUTS). */
  timeouts?: ServerTimeouts;
  /** Reload on file changes (default on). */
  watch?: boolean | { debounceMs?: number; pollMs?: number };
  now?: () => Date;
}

export interface ShutdownOptions {
  /** Keep answering (not ready) this long so endpoints drop the pod before the listener closes. */
  drainDelayMs?: number;
  /** Give up waiting for in-flight requests after this long. */
  graceMs?: number;
}

export class PortcullisServer {
  readonly app: FastifyInstance<HttpsServer>;
  readonly metrics: ServerMetrics;
  readonly store: BundleStore;
  readonly bodyBudget: BodyBudget;
  private tls: TlsMaterial;
  private draining = false;
  private watchers: FileWatcher[] = [];
  private lastBundleText: Buffer | undefined;
  private readonly log: RuntimeLogger;
  private readonly responses = closingResponses();

  constructor(private readonly options: ServerOptions) {
    this.metrics = options.metrics ?? new ServerMetrics();
    const factory = options.imageVerifierFor;
    this.store = new BundleStore({
      ...(options.expectedBundleHash === undefined ? {} : { expectedHash: options.expectedBundleHash }),
      ...(factory === undefined ? {} : { imagesFor: (snapshot) => factory(snapshot.loaded.bundle, this.metrics) }),
    });
    this.tls = readTlsMaterial(options.tlsCertPath, options.tlsKeyPath);
    this.bodyBudget = new BodyBudget({ ...DEFAULT_BODY_BUDGET, ...options.bodyBudget });
    const log = createRuntimeLogger(options.logger === false ? { level: 'silent' } : options.logger);
    this.log = log;
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.app = Fastify({
      https: {
        ServerResponse: this.responses.Response,
        cert: this.tls.cert,
        key: this.tls.key,
        minVersion: TLS_MIN_VERSION,
        handshakeTimeout: timeouts.handshakeMs,
        headersTimeout: timeouts.headersMs,
        connectionsCheckingInterval: timeouts.checkIntervalMs,
      },
      requestTimeout: timeouts.requestMs,
      loggerInstance: log.logger,
      // One structured line per admission comes from the route itself (logging.ts); no generic
      // request lines, and no per-request child logger: request lines carry the review's uid.
      logController: new LogController({ disableRequestLogging: true }),
      childLoggerFactory: (logger) => logger,
      bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
      // A request that arrives on a kept-alive connection during shutdown is still answered (a 503
      // would count as a webhook failure and, under failurePolicy Fail, deny someone's deploy).
      return503OnClosing: false,
      keepAliveTimeout: 65_000,
      routerOptions: {
        // No route reads the query string (the API server appends `?timeout=10s`, which is
        // informational): it is not parsed into an object on every review.
        querystringParser: () => ({}),
      },
    });
    // Route schemas are TypeBox: checked by TypeBox's compiled checker, which never coerces,
    // removes or defaults anything (typebox-validator.ts).
    this.app.setValidatorCompiler(typeboxValidatorCompiler);
    this.app.register(healthRoutes, { store: this.store, isDraining: () => this.draining });
    this.app.register(metricsRoute, { metrics: this.metrics });
    this.app.register(admissionRoutes, {
      store: this.store,
      metrics: this.metrics,
      logAdmission: log.admission,
      bodyBudget: this.bodyBudget,
      ...(options.images === undefined ? {} : { images: options.images }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  }

  get ready(): boolean {
    return !this.draining && this.store.current() !== undefined;
  }

  get certificateFingerprint(): string {
    return this.tls.fingerprint;
  }

  /** Load the bundle, start watching, listen. An invalid bundle leaves the server up but not ready. */
  async listen(port: number, host: string): Promise<AddressInfo> {
    this.reloadBundle();
    if (this.options.watch !== false) {
      const w = typeof this.options.watch === 'object' ? this.options.watch : {};
      const onError = (err: Error): void => this.app.log.warn({ err: err.message }, 'file watch error; polling continues');
      this.watchers.push(new FileWatcher([this.options.bundlePath], () => this.reloadBundle(), { ...w, onError }));
      this.watchers.push(
        new FileWatcher([this.options.tlsCertPath, this.options.tlsKeyPath], () => this.reloadTls(), { ...w, onError }),
      );
    }
    await this.app.listen({ port, host });
    return this.app.server.address() as AddressInfo;
  }

  /** Re-read the bundle file; swap it in if valid and changed. */
  reloadBundle(): ReloadResult {
    let text: Buffer;
    try {
      text = readFileSync(this.options.bundlePath);
    } catch (err) {
      const reason = `cannot read ${this.options.bundlePath}: ${(err as Error).message}`;
      this.metrics.bundleReload('refused');
      this.app.log.error({ bundle: this.options.bundlePath, reason, serving: this.store.current()?.loaded.hash }, 'bundle refused');
      return { status: 'refused', reason };
    }
    if (this.lastBundleText !== undefined && text.equals(this.lastBundleText)) {
      const snapshot = this.store.current();
      if (snapshot !== undefined) return { status: 'unchanged', snapshot };
    }
    this.lastBundleText = text;
    const previous = this.store.current();
    const result = this.store.load(text, this.options.bundlePath);
    if (result.status === 'loaded') retire(previous?.images, result.snapshot.images);
    this.metrics.bundleReload(result.status);
    if (result.status === 'refused') {
      this.app.log.error(
        { bundle: this.options.bundlePath, reason: result.reason, serving: this.store.current()?.loaded.hash ?? null },
        this.store.current() === undefined ? 'bundle refused; no valid bundle, not ready' : 'bundle refused; keeping the last good bundle',
      );
    } else if (result.status === 'loaded') {
      const { loaded } = result.snapshot;
      this.metrics.bundleLoaded(loaded.hash, loaded.bundle.metadata.name);
      this.metrics.exemptionsLoaded(loaded.bundle.policies);
      this.app.log.info(
        { bundle: this.options.bundlePath, hash: loaded.hash, policies: loaded.bundle.policies.length, webhooks: [...result.snapshot.bindings.keys()] },
        'bundle loaded',
      );
    }
    return result;
  }

  /** Re-read the certificate and key; install them for new connections if valid and changed. */
  reloadTls(): boolean {
    let material: TlsMaterial;
    try {
      material = readTlsMaterial(this.options.tlsCertPath, this.options.tlsKeyPath);
    } catch (err) {
      this.metrics.tlsReload('refused');
      this.app.log.error({ reason: (err as Error).message }, 'TLS material refused; keeping the current certificate');
      return false;
    }
    if (material.fingerprint === this.tls.fingerprint) return false;
    this.app.server.setSecureContext({ cert: material.cert, key: material.key, minVersion: TLS_MIN_VERSION });
    this.tls = material;
    this.metrics.tlsReload('loaded');
    this.app.log.info({ validTo: material.validTo }, 'TLS certificate reloaded');
    return true;
  }

  /**
   * Graceful shutdown: not ready at once, keep serving for `drainDelayMs`, then stop accepting,
   * let in-flight requests finish, and resolve (true) — or resolve false after `graceMs`.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<boolean> {
    this.draining = true;
    this.responses.closeConnections();
    this.app.log.info({ drainDelayMs: options.drainDelayMs ?? 0 }, 'shutting down: readiness false');
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const images = this.store.current()?.images;
    if ((options.drainDelayMs ?? 0) > 0) await new Promise((r) => setTimeout(r, options.drainDelayMs));
    let timer: NodeJS.Timeout | undefined;
    const closed = this.app.close().then(() => true);
    // close() reaps the connections idle at that moment; keep reaping those that become idle.
    const reaper = setInterval(() => this.app.server.closeIdleConnections(), 100);
    reaper.unref();
    const expired = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), options.graceMs ?? 25_000);
      timer.unref();
    });
    const clean = await Promise.race([closed, expired]);
    if (timer !== undefined) clearTimeout(timer);
    clearInterval(reaper);
    closeVerifier(images);
    this.log.flush();
    this.app.log.info({ clean }, clean ? 'shut down: all requests answered' : 'shutdown grace period expired');
    return clean;
  }
}

/**
 * The server's response class, which can be told to end every connection: once the server drains,
 * each response — those of requests already in flight included — says `Connection: close` and
 * closes its connection after it is sent, so kept-alive clients (the API server) reconnect to a pod
 * that is staying, and the listener can finish once in-flight work is done. The switch is made on
 * this server's own subclass, once, at shutdown: until then a response costs nothing extra (no
 * per-request hook or check).
 */
function closingResponses(): { Response: typeof ServerResponse; closeConnections(): void } {
  class ClosableResponse extends ServerResponse {}
  return {
    // Only its prototype differs from ServerResponse's (the cast is for the generic signature).
    Response: ClosableResponse as typeof ServerResponse,
    closeConnections: () => {
      // Every response writes its head through writeHead (an implicit head too).
      Object.defineProperty(ClosableResponse.prototype, 'writeHead', {
        configurable: true,
        writable: true,
        value: function closingWriteHead(this: ServerResponse, ...args: unknown[]): unknown {
          this.shouldKeepAlive = false;
          return ServerResponse.prototype.writeHead.apply(this, args as Parameters<ServerResponse['writeHead']>);
        },
      });
    },
  };
}

/** The longest webhook timeout: after it, no request can still use a replaced verifier. */
const RETIRE_AFTER_MS = 31_000;

function closeVerifier(images: (ImageVerifier & { close?(): void }) | undefined): void {
  images?.close?.();
}

function retire(old: (ImageVerifier & { close?(): void }) | undefined, current: ImageVerifier | undefined): void {
  if (old === undefined || old === current) return;
  setTimeout(() => closeVerifier(old), RETIRE_AFTER_MS).unref();
}

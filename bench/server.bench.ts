/**
 * Admission server throughput and latency over HTTPS, side by side with a bare node:https server
 * that only parses the same request and answers "allowed" — both measured in this one run.
 *
 * Policy set: the reference bundle (dist/portcullis-bundle.json, `npm run synth`) without its
 * signature policies. Requests: API-server-shaped Pod and Deployment CREATE reviews (3 compliant :
 * 1 violating, so Audit warnings are encoded too) to the mutating and the main validating path.
 *
 * Processes: the server under test runs alone in one child process, the load generator in another
 * (2 cores: one each), so client and server never share an event loop. The client is a lean
 * keep-alive TLS client (pre-encoded requests, minimal response parsing) so it is not the
 * bottleneck. Phases per server: warm-up, closed-loop maximum throughput (32 connections), then an
 * open-loop fixed 1,000 req/s run whose latencies count from each request's scheduled send time
 * (no coordinated omission). RSS is sampled in the server process throughout; "per core" divides
 * requests by the server process's CPU seconds. Last, a burst: 32 connections each send one ~6 MiB
 * UPDATE review (object and oldObject of ~3 MiB, the API server's object limit) at once; its peak
 * RSS is reported separately (the steady-state RSS above excludes it) and must stay under the
 * Deployment's 256 MiB memory limit (runtime/server/body-budget.ts).
 *
 * V8 flags: both measured servers run with the NODE_OPTIONS the synthesized Deployment sets
 * (dist/30-runtime.k8s.yaml, container `webhook`: the heap bounds sized against its memory limit,
 * see heapFlagsFor in constructs/runtime-chart.ts), so RSS is measured as deployed; then any
 * BENCH_SERVER_FLAGS. BENCH_DEPLOYMENT_FLAGS=0 measures with Node's defaults instead.
 *
 *   npm run bench -- server            (BENCH_ROUNDS=3 alternating rounds, best of each counts)
 *   BENCH_CPU_PROF=<dir> / BENCH_HEAP_PROF=<dir>: CPU profiles / allocation profiles of the servers
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { createRequire } from 'node:module';
import type * as BundleModule from '../runtime/bundle';
import type { Bundle } from '../runtime/bundle';
import type * as ServerModule from '../runtime/server/server';
import type * as TlsHelpers from '../test/helpers/tls';
import type * as InspectorModule from 'node:inspector';
import type * as PinoModule from 'pino';
import type * as YamlModule from 'yaml';
// Everything else is required lazily, per role: the measured server processes load only what they
// run (the bare server nothing of Portcullis, the Portcullis server its compiled build).
const lazy = createRequire(__filename);

const ROOT = resolve(__dirname, '..');
const WARMUP_MS = 3000;
const MAX_MS = 8000;
const RATE_MS = 8000;
const RATE = 1000;
const CONNECTIONS = 32;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

// ---- messages between processes ---------------------------------------------------------------

type ServerMsg = { type: 'listening'; port: number } | { type: 'stats'; rss: number; heapTotal: number; cpuUs: number };
type LoadResult = { sent: number; ok: number; failed: number; seconds: number; latenciesMs: number[] };
type LoadMsg = { type: 'result'; result: LoadResult };

// ---- requests ---------------------------------------------------------------------------------

const DIGEST = 'sha256:9b2b3b0d2a1f8f7b9c3e4d5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8';

function container(name: string, image: string, compliant: boolean): Record<string, unknown> {
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    env: [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    ],
    resources: compliant ? { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } } : {},
    livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
    volumeMounts: [{ name: 'config', mountPath: '/etc/app', readOnly: true }, { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    securityContext: compliant
      ? { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, readOnlyRootFilesystem: true, seccompProfile: { type: 'RuntimeDefault' } }
      : { allowPrivilegeEscalation: true, capabilities: { add: ['NET_ADMIN'] }, runAsUser: 0 },
  };
}

function podSpec(compliant: boolean): Record<string, unknown> {
  return {
    volumes: [
      { name: 'config', configMap: { name: 'payments-api', defaultMode: 420 } },
      { name: 'kube-api-access', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } },
    ],
    containers: [
      container('api', compliant ? `registry.payments.example.com/payments/api@${DIGEST}` : 'docker.io/library/nginx:latest', compliant),
      container('envoy', `registry.payments.example.com/mesh/envoy@${DIGEST}`, true),
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'payments-api',
    serviceAccount: 'payments-api',
    securityContext: { runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    schedulerName: 'default-scheduler',
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  };
}

const LABELS = { app: 'payments-api', owner: 'payments', team: 'payments', version: 'v1.14.2', environment: 'production' };

function review(kind: 'Pod' | 'Deployment', compliant: boolean): string {
  const metadata = { name: 'payments-api-7d9f8c6b5-x2x7q', generateName: 'payments-api-7d9f8c6b5-', namespace: 'payments', labels: LABELS, creationTimestamp: null };
  const object =
    kind === 'Pod'
      ? { kind: 'Pod', apiVersion: 'v1', metadata, spec: podSpec(compliant), status: {} }
      : {
          kind: 'Deployment',
          apiVersion: 'apps/v1',
          metadata: { name: 'payments-api', namespace: 'payments', labels: LABELS, generation: 1, creationTimestamp: null },
          spec: {
            replicas: 3,
            selector: { matchLabels: { app: 'payments-api' } },
            template: { metadata: { labels: LABELS, creationTimestamp: null }, spec: podSpec(compliant) },
            strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
            revisionHistoryLimit: 10,
            progressDeadlineSeconds: 600,
          },
          status: {},
        };
  const gvk = kind === 'Pod' ? { group: '', version: 'v1', kind } : { group: 'apps', version: 'v1', kind };
  const gvr = kind === 'Pod' ? { group: '', version: 'v1', resource: 'pods' } : { group: 'apps', version: 'v1', resource: 'deployments' };
  return JSON.stringify({
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid: randomUUID(),
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: (object.metadata as { name: string }).name,
      namespace: 'payments',
      operation: 'CREATE',
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: randomUUID(), groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  });
}

/** Large-body burst: BURST concurrent UPDATE reviews of ~6 MiB (object and oldObject of ~3 MiB). */
const BURST = 32;
const BURST_OBJECT_BYTES = 3 * 1024 * 1024 - 8192;

function largeUpdateReview(i: number): string {
  const object = (tag: string): Record<string, unknown> => ({
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: 'payments-api-0', namespace: 'payments', labels: LABELS, annotations: { 'example.com/blob': `${tag}${'x'.repeat(BURST_OBJECT_BYTES)}` } },
    spec: podSpec(true),
  });
  const gvk = { group: '', version: 'v1', kind: 'Pod' };
  const gvr = { group: '', version: 'v1', resource: 'pods' };
  return JSON.stringify({
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: { uid: `burst-${i}`, kind: gvk, resource: gvr, requestKind: gvk, requestResource: gvr, name: 'payments-api-0', namespace: 'payments', operation: 'UPDATE', userInfo: { username: 'system:serviceaccount:kube-system:statefulset-controller' }, object: object('new'), oldObject: object('old'), dryRun: false },
  });
}

/** The reference bundle minus signature policies (and webhook entries left with none). */
function benchBundle(): Bundle {
  const { validateBundle } = lazy('../runtime/bundle') as typeof BundleModule;
  const path = join(ROOT, 'dist/portcullis-bundle.json');
  const bundle = validateBundle(JSON.parse(readFileSync(path, 'utf8'))).bundle;
  const policies = bundle.policies.filter((p) => !p.rules.some((r) => r.type === 'verifyImages'));
  const kept = new Set(policies.map((p) => p.name));
  const webhooks = bundle.webhooks
    .map((w) => ({ ...w, policies: w.policies.filter((n) => kept.has(n)) }))
    .filter((w) => w.policies.length > 0);
  return validateBundle({ ...bundle, policies, webhooks }).bundle;
}

function requestSet(bundle: Bundle): { path: string; body: string }[] {
  const mutate = bundle.webhooks.find((w) => w.type === 'mutating')!.path;
  const validate = [...bundle.webhooks].filter((w) => w.type === 'validating').sort((a, b) => b.policies.length - a.policies.length)[0].path;
  const out: { path: string; body: string }[] = [];
  for (const kind of ['Pod', 'Deployment'] as const) {
    for (const compliant of [true, true, true, false]) {
      out.push({ path: validate, body: review(kind, compliant) });
      out.push({ path: mutate, body: review(kind, compliant) });
    }
  }
  return out;
}

/** NODE_OPTIONS of the runtime container in the synthesized Deployment (empty when unset). */
function deploymentNodeOptions(): string[] {
  if (process.env.BENCH_DEPLOYMENT_FLAGS === '0') return [];
  const { parseAllDocuments } = lazy('yaml') as typeof YamlModule;
  type Env = { name: string; value?: string };
  type Doc = { kind?: string; spec?: { template?: { spec?: { containers?: { name: string; env?: Env[] }[] } } } };
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'dist/30-runtime.k8s.yaml'), 'utf8')).map((d) => d.toJS() as Doc);
  const deployment = docs.find((d) => d.kind === 'Deployment');
  const webhook = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === 'webhook');
  const value = webhook?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
  return value.split(' ').filter((f) => f !== '');
}

// ---- roles ------------------------------------------------------------------------------------

function send(msg: ServerMsg | LoadMsg): Promise<void> {
  return new Promise((resolve) => process.send!(msg, undefined, {}, () => resolve()));
}

function reportStatsOnRequest(): void {
  const heapProfile = sampleAllocations();
  // A clean exit on SIGINT lets --cpu-prof (and BENCH_HEAP_PROF) write its profile.
  process.once('SIGINT', () => void heapProfile().then(() => process.exit(0)));
  const cpu0 = process.cpuUsage();
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stats') {
      const c = process.cpuUsage(cpu0);
      const m = process.memoryUsage();
      void send({ type: 'stats', rss: m.rss, heapTotal: m.heapTotal, cpuUs: c.user + c.system });
    }
  });
}

/**
 * BENCH_HEAP_PROF=<dir>: a sampling profile of everything the measured server allocates, objects
 * already collected by scavenges included (what `--heap-prof` leaves out), written at SIGINT as a
 * .heapprofile (Chrome DevTools' Memory tab). Returns the function that writes it.
 */
function sampleAllocations(): () => Promise<void> {
  const dir = process.env.BENCH_HEAP_PROF;
  if (dir === undefined) return () => Promise.resolve();
  const { Session } = lazy('node:inspector') as typeof InspectorModule;
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  return () =>
    new Promise((done) => {
      session.post('HeapProfiler.stopSampling', (err, result) => {
        if (err === null) writeFileSync(join(dir, `${process.argv[2]}-${process.pid}.heapprofile`), JSON.stringify(result.profile));
        else process.stderr.write(`heap profile: ${err.message}\n`);
        done();
      });
    });
}

/** Inside the repo (gitignored build/) so the compiled modules resolve node_modules. */
function buildDir(dir: string): string {
  return join(ROOT, 'build', `.bench-server-${dir.slice(-6)}`);
}

async function runPortcullis(dir: string): Promise<void> {
  // The compiled build (what the container runs) when the bench could build it, else the sources.
  const compiled = join(buildDir(dir), 'runtime/server/server.js');
  const { PortcullisServer } = (
    existsSync(compiled) ? lazy(compiled) : lazy('../runtime/server/server')
  ) as typeof ServerModule;
  const { destination } = lazy('pino') as typeof PinoModule;
  const server = new PortcullisServer({
    bundlePath: join(dir, 'bundle.json'),
    tlsCertPath: join(dir, 'tls.crt'),
    tlsKeyPath: join(dir, 'tls.key'),
    // Production logging (info, one JSON line per review) through the destination `serve` writes
    // stdout with (pino's synchronous file-descriptor writer), here on /dev/null: the same
    // serialization and write calls, and nothing to read the lines.
    logger: { level: 'info', stream: destination({ dest: '/dev/null', sync: true }) },
    watch: false,
  });
  const { port } = await server.listen(0, '127.0.0.1');
  reportStatsOnRequest();
  await send({ type: 'listening', port });
}

function runBare(dir: string): void {
  const server = createHttpsServer({ cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')), keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { request: { uid: string } };
      const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    reportStatsOnRequest();
    void send({ type: 'listening', port: (server.address() as { port: number }).port });
  });
}

/** One keep-alive TLS connection that sends pre-encoded requests and parses responses minimally. */
class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private done: ((ok: boolean) => void) | undefined;
  busy = false;

  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.finish(false));
  }

  static open(port: number, ca: Buffer): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => resolve(new Connection(s)));
      s.setNoDelay(true);
      s.once('error', reject);
    });
  }

  send(request: Buffer, done: (ok: boolean) => void): void {
    this.busy = true;
    this.done = done;
    this.socket.write(request);
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const end = this.buf.indexOf('\r\n\r\n');
    if (end === -1) return;
    const head = this.buf.subarray(0, end).toString('latin1');
    const m = /content-length: *(\d+)/i.exec(head);
    const length = m === null ? 0 : Number(m[1]);
    if (this.buf.length < end + 4 + length) return;
    const body = this.buf.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buf = this.buf.subarray(end + 4 + length);
    this.finish(head.startsWith('HTTP/1.1 200') && body.includes('"allowed"'));
  }

  private finish(ok: boolean): void {
    const d = this.done;
    this.done = undefined;
    this.busy = false;
    d?.(ok);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** BURST connections each send one large UPDATE review at once; done when all are answered. */
async function runBurst(port: number, dir: string): Promise<void> {
  const ca = readFileSync(join(dir, 'ca.crt'));
  const path = (JSON.parse(readFileSync(join(dir, 'requests.json'), 'utf8')) as { path: string }[])[0].path;
  const conns = await Promise.all(Array.from({ length: BURST }, () => Connection.open(port, ca)));
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, seconds: 0, latenciesMs: [] };
  const t0 = performance.now();
  await Promise.all(
    conns.map(
      (c, i) =>
        new Promise<void>((done) => {
          const body = largeUpdateReview(i);
          result.sent += 1;
          c.send(Buffer.from(`POST ${path}?timeout=10s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`), (ok) => {
            if (ok) result.ok += 1;
            else result.failed += 1;
            result.latenciesMs.push(performance.now() - t0);
            done();
          });
        }),
    ),
  );
  result.seconds = (performance.now() - t0) / 1000;
  for (const c of conns) c.close();
  await send({ type: 'result', result });
}

async function runLoad(port: number, dir: string, mode: 'max' | 'rate', durationMs: number): Promise<void> {
  const ca = readFileSync(join(dir, 'ca.crt'));
  const set = (JSON.parse(readFileSync(join(dir, 'requests.json'), 'utf8')) as { path: string; body: string }[]).map(({ path, body }) =>
    Buffer.from(`POST ${path}?timeout=10s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: application/json, */*\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
  );
  const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => Connection.open(port, ca)));
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, seconds: durationMs / 1000, latenciesMs: [] };
  let next = 0;
  const t0 = performance.now();
  const stopAt = t0 + durationMs;
  await new Promise<void>((finished) => {
    let inflight = 0;
    const complete = (start: number) => (ok: boolean) => {
      inflight -= 1;
      if (ok) result.ok += 1;
      else result.failed += 1;
      result.latenciesMs.push(performance.now() - start);
      if (mode === 'max') pump();
      if (performance.now() >= stopAt && inflight === 0) finished();
    };
    const fire = (conn: Connection, scheduled: number): void => {
      inflight += 1;
      result.sent += 1;
      conn.send(set[next++ % set.length], complete(scheduled));
    };
    const pump = (): void => {
      if (performance.now() >= stopAt) return;
      for (const c of conns) if (!c.busy) fire(c, performance.now());
    };
    if (mode === 'max') {
      pump();
      return;
    }
    // Open loop: request i is due at t0 + i/RATE; late requests queue and their wait counts.
    const queue: number[] = [];
    let due = 0;
    const tick = (): void => {
      const now = performance.now();
      while (t0 + (due * 1000) / RATE <= Math.min(now, stopAt)) queue.push(t0 + (due++ * 1000) / RATE);
      for (const c of conns) {
        if (queue.length === 0) break;
        if (!c.busy) fire(c, queue.shift()!);
      }
      if (now < stopAt || queue.length > 0) setImmediate(tick);
      else if (inflight === 0) finished();
    };
    tick();
  });
  result.seconds = (performance.now() - t0) / 1000;
  for (const c of conns) c.close();
  await send({ type: 'result', result });
}

// ---- orchestration ----------------------------------------------------------------------------

let SERVER_NODE_FLAGS: string[] = [];

function child(args: string[]): ChildProcess {
  // BENCH_CPU_PROF=<dir>: V8 CPU profile of the measured server processes, for finding hot spots.
  const prof = process.env.BENCH_CPU_PROF !== undefined && args[0] !== 'load' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // tsx's CommonJS hook compiles in-thread (the ESM loader would add a hooks worker thread and its
  // heap to the RSS we measure; production runs compiled JavaScript without either).
  // BENCH_SERVER_FLAGS="--max-semi-space-size=4": V8 flags for both measured servers (e.g. the
  // young-generation size a memory-limited container would get).
  const flags = args[0] !== 'load' ? [...SERVER_NODE_FLAGS, ...(process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter((f) => f !== '')] : [];
  return spawn(process.execPath, [...prof, ...flags, '--require', 'tsx/cjs', __filename, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: ROOT });
}

function next<T>(p: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: { type: string }): void => {
      if (m.type === type) {
        p.off('message', onMsg);
        resolve(m as T);
      }
    };
    p.on('message', onMsg);
    p.once('exit', (code) => reject(new Error(`child exited (${code}) before "${type}"`)));
  });
}

interface Measured {
  name: string;
  maxRps: number;
  perCoreRps: number;
  maxP50: number;
  maxP99: number;
  rateP50: number;
  rateP99: number;
  rateAchieved: number;
  failed: number;
  rssMiB: number;
  heapMiB: number;
  burstRssMiB: number;
  burstOk: number;
  burstSeconds: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(name: string, role: string, dir: string): Promise<Measured> {
  const server = child([role, dir]);
  const { port } = await next<{ port: number }>(server, 'listening');
  let maxRss = 0;
  let maxHeap = 0;
  let burstRss = 0;
  let inBurst = false;
  const sampler = setInterval(() => {
    server.send({ type: 'stats' });
  }, 50);
  server.on('message', (m: ServerMsg) => {
    if (m.type !== 'stats') return;
    if (inBurst) {
      burstRss = Math.max(burstRss, m.rss);
      return;
    }
    maxRss = Math.max(maxRss, m.rss);
    maxHeap = Math.max(maxHeap, m.heapTotal);
  });
  const load = async (mode: 'max' | 'rate' | 'burst', ms: number): Promise<LoadResult> => {
    const c = child(['load', String(port), dir, mode, String(ms)]);
    const exited = new Promise((res) => c.once('exit', res));
    const r = (await next<LoadMsg>(c, 'result')).result;
    await exited;
    return r;
  };
  const cpuAt = async (): Promise<number> => {
    server.send({ type: 'stats' });
    return (await next<{ cpuUs: number }>(server, 'stats')).cpuUs;
  };
  await load('max', WARMUP_MS);
  const cpu0 = await cpuAt();
  const max = await load('max', MAX_MS);
  const cpu1 = await cpuAt();
  const rate = await load('rate', RATE_MS);
  // Last, so its memory does not count in the steady-state RSS above.
  inBurst = true;
  const burst = await load('burst', 0);
  await new Promise((r) => setTimeout(r, 100));
  clearInterval(sampler);
  const serverExit = new Promise((r) => server.once('exit', r));
  server.kill(process.env.BENCH_CPU_PROF === undefined && process.env.BENCH_HEAP_PROF === undefined ? 'SIGKILL' : 'SIGINT');
  await serverExit;
  const maxSorted = [...max.latenciesMs].sort((a, b) => a - b);
  const rateSorted = [...rate.latenciesMs].sort((a, b) => a - b);
  const cpuSeconds = (cpu1 - cpu0) / 1e6;
  return {
    name,
    maxRps: max.ok / max.seconds,
    perCoreRps: max.ok / Math.max(cpuSeconds, 1e-9),
    maxP50: percentile(maxSorted, 50),
    maxP99: percentile(maxSorted, 99),
    rateP50: percentile(rateSorted, 50),
    rateP99: percentile(rateSorted, 99),
    rateAchieved: rate.ok / rate.seconds,
    failed: max.failed + rate.failed,
    rssMiB: maxRss / 1024 / 1024,
    heapMiB: maxHeap / 1024 / 1024,
    burstRssMiB: burstRss / 1024 / 1024,
    burstOk: burst.ok,
    burstSeconds: burst.seconds,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  try {
    const { canonicalJson } = lazy('../runtime/bundle') as typeof BundleModule;
    const { createTestPki } = lazy('../test/helpers/tls') as typeof TlsHelpers;
    const built = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', buildDir(dir)], { encoding: 'utf8' });
    const how = built.status === 0 ? 'compiled build (tsc -p tsconfig.build.json)' : 'TypeScript sources via tsx (the build failed)';
    SERVER_NODE_FLAGS = deploymentNodeOptions();
    const pki = createTestPki();
    writeFileSync(join(dir, 'ca.crt'), pki.ca.cert);
    writeFileSync(join(dir, 'tls.crt'), pki.serving.cert);
    writeFileSync(join(dir, 'tls.key'), pki.serving.key);
    pki.cleanup();
    const bundle = benchBundle();
    writeFileSync(join(dir, 'bundle.json'), canonicalJson(bundle));
    const requests = requestSet(bundle);
    writeFileSync(join(dir, 'requests.json'), JSON.stringify(requests));
    const avgBytes = Math.round(requests.reduce((n, r) => n + r.body.length, 0) / requests.length);
    process.stdout.write(
      `server bench: ${bundle.policies.length} policies (${bundle.policies.map((p) => p.name).join(', ')}), ` +
        `paths ${[...new Set(requests.map((r) => r.path))].join(' + ')}, Pod+Deployment reviews (avg ${avgBytes} B, 1 in 4 violating), ` +
        `${CONNECTIONS} keep-alive TLS connections, max ${MAX_MS / 1000}s then ${RATE} req/s for ${RATE_MS / 1000}s; server runs the ${how}; ` +
        `server V8 flags: ${[...SERVER_NODE_FLAGS, process.env.BENCH_SERVER_FLAGS ?? ''].join(' ').trim() || '(Node defaults)'}` +
        `${SERVER_NODE_FLAGS.length > 0 ? ' (NODE_OPTIONS of the Deployment in dist/30-runtime.k8s.yaml)' : ''}\n`,
    );
    const load0 = loadavg()[0];
    const fmt = (n: number, d = 0): string => n.toFixed(d);
    const row = (m: Measured): string =>
      `${m.name.padEnd(16)} ${fmt(m.maxRps).padStart(7)} req/s  ${fmt(m.perCoreRps).padStart(7)} /core-s  ` +
      `max-load p50 ${fmt(m.maxP50, 2)} p99 ${fmt(m.maxP99, 2)} ms   @${RATE}/s (got ${fmt(m.rateAchieved)}) p50 ${fmt(m.rateP50, 2)} p99 ${fmt(m.rateP99, 2)} ms   ` +
      `RSS ${fmt(m.rssMiB, 1)} MiB (V8 heap ${fmt(m.heapMiB, 1)})  failed ${m.failed}   ` +
      `burst ${BURST}x6 MiB: ${m.burstOk}/${BURST} in ${fmt(m.burstSeconds, 1)} s, peak RSS ${fmt(m.burstRssMiB, 0)} MiB`;
    // Rounds alternate the two servers so a burst of other work on the machine hits both alike;
    // the round with the higher throughput counts for each (the others are printed too).
    const rounds: [Measured, Measured][] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const pair: [Measured, Measured] = [await measure('bare node:https', 'bare', dir), await measure('portcullis', 'portcullis', dir)];
      process.stdout.write(`round ${i + 1}\n  ${row(pair[0])}\n  ${row(pair[1])}\n`);
      rounds.push(pair);
    }
    const load1 = loadavg()[0];
    const best = (k: 0 | 1): Measured => rounds.map((r) => r[k]).reduce((a, b) => (b.maxRps > a.maxRps ? b : a));
    const bare = best(0);
    const portcullis = best(1);
    process.stdout.write(`best of ${ROUNDS}\n  ${row(bare)}\n  ${row(portcullis)}\n`);
    // Each round measures both servers back to back under the same machine conditions: its own
    // ratio shows how much of the spread is the machine rather than the servers.
    const perRound = rounds.map(([b, p]) => `${fmt((p.maxRps / b.maxRps) * 100, 1)}%`).join(', ');
    process.stdout.write(`  portcullis/bare per round: ${perRound}\n`);
    const ratio = portcullis.maxRps / bare.maxRps;
    // Throughput counts its best round (other work on the machine only ever lowers it); latency
    // counts the median round (one host stall in one round does not decide, nor does one lucky
    // round); memory counts the worst round.
    const ours = rounds.map((r) => r[1]);
    const p99s = ours.map((m) => m.rateP99);
    const p99 = [...p99s].sort((a, b) => a - b)[Math.floor((p99s.length - 1) / 2)];
    const rss = Math.max(...ours.map((m) => m.rssMiB));
    const burstRss = Math.max(...ours.map((m) => m.burstRssMiB));
    const burstOk = ours.every((m) => m.burstOk === BURST);
    process.stdout.write(`  portcullis p99 at ${RATE} req/s per round: ${p99s.map((v) => `${fmt(v, 2)} ms`).join(', ')}\n`);
    const checks: [string, boolean][] = [
      [`>= 3000 reviews/s per core (${fmt(portcullis.perCoreRps)})`, portcullis.perCoreRps >= 3000],
      [`p99 <= 5 ms at ${RATE} req/s (median round ${fmt(p99, 2)} ms)`, p99 <= 5],
      [`>= 60% of bare throughput (${fmt(ratio * 100, 1)}%)`, ratio >= 0.6],
      [`RSS <= 128 MiB (highest round ${fmt(rss, 1)} MiB)`, rss <= 128],
      ['no failed request', rounds.every(([b, p]) => p.failed === 0 && b.failed === 0)],
      [`${BURST} concurrent ~6 MiB UPDATE reviews all answered within the 256 MiB memory limit (highest peak RSS ${fmt(burstRss, 0)} MiB)`, burstOk && burstRss < 256],
    ];
    for (const [what, ok] of checks) process.stdout.write(`  ${ok ? 'PASS' : 'MISS'} ${what}\n`);
    // Other work on the machine skews every figure: say so next to them.
    process.stdout.write(`  load average (1 min) before/after: ${load0.toFixed(2)} / ${load1.toFixed(2)} on this machine\n`);
  } finally {
    rmSync(buildDir(dir), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'portcullis') void runPortcullis(rest[0]);
else if (role === 'bare') runBare(rest[0]);
else if (role === 'load' && rest[2] === 'burst') void runBurst(Number(rest[0]), rest[1]).then(() => process.exit(0));
else if (role === 'load') void runLoad(Number(rest[0]), rest[1], rest[2] as 'max' | 'rate', Number(rest[3])).then(() => process.exit(0));
else
  main().catch((err: unknown) => {
    process.stderr.write(`server bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });

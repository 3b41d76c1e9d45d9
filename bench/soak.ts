/**
 * `npm run soak` (not CI-gating): `portcullis serve` as a child process, exactly as the Deployment
 * runs it (bundle and TLS files in kubelet-style projected volumes), driven open-loop at a fixed
 * rate of mixed Pod/Deployment AdmissionReviews over HTTPS with keep-alive, like the API server.
 *
 * - Every answer is checked: HTTP 200, the request's uid, and the verdict the policy implies
 *   (compliant → allowed, forbidden → denied, mutating path → patch). Anything else is an error.
 * - The child's RSS is sampled every second (/proc/<pid>/status).
 * - At 1/3 of the run the bundle is swapped, at 2/3 the TLS certificate is rotated (both as the
 *   kubelet does: an atomic `..data` symlink swap); each is confirmed (readyz hash, peer cert).
 * - At the end SIGTERM is sent while load is still flowing; load continues for half the drain
 *   delay, then stops; every in-flight request must complete and the process must exit 0.
 *
 *   npm run soak                                   # 60 s at 1,000 req/s
 *   SOAK_SECONDS=10 SOAK_RATE=300 npm run soak     # a short run
 *   SOAK_CONNECTIONS=32                            # keep-alive connections (default 16)
 *   SOAK_WARMUP_SECONDS=5                          # ramp before the measured run (errors count)
 *   SOAK_RUNTIME=build                             # run lib/runtime/cli/main.js (after `npm run
 *                                                  # build`: what the container image runs) instead
 *                                                  # of the TypeScript sources through tsx
 *
 * After SIGTERM every answer closes its connection (the server's drain), so the client must open
 * new ones; once the listener has closed, a new connection is refused (ECONNREFUSED): that request
 * was never accepted — in a cluster it goes to another replica — and is reported apart, while every
 * request the server accepted must complete correctly.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { bundleHash, prettyCanonicalJson } from '../runtime/bundle';
import type { AdmissionInput } from '../runtime/engine/types';
import { freePort } from '../test/helpers/registry';
import { issueLoopbackCert, issueTestCa, ProjectedVolume } from '../test/helpers/tls';
import { toReview } from '../test/reliability/arbitraries';
import { enforceBundle, PATHS } from '../test/reliability/fixtures';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const RATE = Number(process.env.SOAK_RATE ?? 1000);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 16);
const DRAIN_DELAY_MS = 2000;
/** Ramp from 10 % to the full rate first (a new pod behind a readiness probe); reported apart. */
const WARMUP_SECONDS = Number(process.env.SOAK_WARMUP_SECONDS ?? 5);
const ROOT = resolve(__dirname, '..');
const RUNTIME = process.env.SOAK_RUNTIME === 'build' ? 'build' : 'tsx';
const ENTRY = RUNTIME === 'build' ? [join(ROOT, 'lib/runtime/cli/main.js')] : ['--import', 'tsx', join(ROOT, 'runtime/cli/main.ts')];

// ---- workload mix ------------------------------------------------------------------------

interface Shot {
  path: string;
  body: string;
  uid: string;
  expect: 'allowed' | 'denied' | 'patched';
}

function container(i: number, forbidden: boolean, withResources: boolean): Record<string, unknown> {
  return {
    name: `c${i}`,
    image: `registry.example.com/team/app-${i}:1.${i}.0`,
    ports: [{ containerPort: 8080, protocol: 'TCP' }],
    env: [{ name: 'MODE', value: 'prod' }],
    ...(withResources ? { resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } } } : {}),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: true,
      ...(forbidden ? { privileged: true } : {}),
    },
  };
}

function podSpec(containers: number, forbidden: boolean, withResources: boolean): Record<string, unknown> {
  return {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    containers: Array.from({ length: containers }, (_, i) => container(i, forbidden && i === containers - 1, withResources)),
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
  };
}

function shot(kind: 'Pod' | 'Deployment', variant: number): Omit<Shot, 'uid' | 'body'> & { input: AdmissionInput } {
  const forbidden = variant % 3 === 0;
  const mutate = variant % 4 === 1;
  const spec = podSpec(1 + (variant % 3), forbidden, !mutate);
  const metadata = { name: `w-${variant}`, namespace: 'team-a', labels: { app: `w-${variant}`, team: 'payments' } };
  const object =
    kind === 'Pod'
      ? { apiVersion: 'v1', kind, metadata, spec }
      : { apiVersion: 'apps/v1', kind, metadata, spec: { replicas: 2, selector: { matchLabels: { app: metadata.name } }, template: { metadata: { labels: metadata.labels }, spec } } };
  const input: AdmissionInput = {
    uid: '',
    kind: { group: kind === 'Pod' ? '' : 'apps', version: 'v1', kind },
    resource: { group: kind === 'Pod' ? '' : 'apps', version: 'v1', resource: kind === 'Pod' ? 'pods' : 'deployments' },
    operation: 'CREATE',
    namespace: 'team-a',
    name: metadata.name,
    object,
  };
  if (mutate) return { path: PATHS.mutate, expect: 'patched', input };
  return { path: PATHS.validate, expect: forbidden ? 'denied' : 'allowed', input };
}

const TEMPLATES = Array.from({ length: 48 }, (_, i) => shot(i % 2 === 0 ? 'Pod' : 'Deployment', i));

function nextShot(n: number): Shot {
  const t = TEMPLATES[n % TEMPLATES.length];
  const uid = randomUUID();
  return { path: t.path, expect: t.expect, uid, body: JSON.stringify(toReview({ ...t.input, uid })) };
}

// ---- measurement -------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-soak-'));
  const ca = issueTestCa('Portcullis soak CA');
  const serving = issueLoopbackCert(ca);
  const bundleA = enforceBundle('soak-a');
  const bundleB = enforceBundle('soak-b');
  const bundleVolume = new ProjectedVolume(join(dir, 'bundle'), { 'bundle.json': prettyCanonicalJson(bundleA) });
  const tlsVolume = new ProjectedVolume(join(dir, 'tls'), { 'tls.crt': serving.cert, 'tls.key': serving.key });
  const port = await freePort();

  const child = spawn(
    process.execPath,
    [
      ...ENTRY,
      'serve',
      '--bundle',
      bundleVolume.path('bundle.json'),
      '--tls-cert',
      tlsVolume.path('tls.crt'),
      '--tls-key',
      tlsVolume.path('tls.key'),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--log-level',
      'warn',
      '--shutdown-delay-ms',
      String(DRAIN_DELAY_MS),
      '--grace-ms',
      '10000',
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let childStderr = '';
  child.stderr?.on('data', (d: Buffer) => (childStderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const pid = child.pid!;

  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS, ca: ca.cert });
  // After SIGTERM every answer closes its connection; like the API server's transport (no
  // per-host connection cap), new requests then get a connection at once instead of queueing.
  const drainAgent = new Agent({ keepAlive: true, ca: ca.cert });
  const get = (path: string): Promise<{ status: number; body: string }> =>
    new Promise((res) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path, servername: 'localhost', ca: ca.cert, agent: false }, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => res({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', () => res({ status: 0, body: '' }));
      req.end();
    });
  const startDeadline = Date.now() + 30_000;
  while ((await get('/readyz')).status !== 200) {
    if (Date.now() > startDeadline || child.exitCode !== null) throw new Error(`portcullis serve did not become ready: ${childStderr}`);
    await sleep(100);
  }
  process.stdout.write(`soak: portcullis serve (${RUNTIME}) pid ${pid} ready on :${port}; ${SECONDS} s at ${RATE} req/s over ${CONNECTIONS} keep-alive connections\n`);

  let loadStart = performance.now();
  type Phase = 'warmup' | 'steady' | 'drain';
  let phase: Phase = 'warmup';
  const latencyBy: Record<Phase, number[]> = { warmup: [], steady: [], drain: [] };
  const latencies = latencyBy.steady;
  const drainLatencies = latencyBy.drain;
  /** Requests written to a connection and not answered yet (the server has them), by uid. */
  const pending = new Map<string, Shot>();
  let inFlightAtTerm: Set<string> | undefined = undefined;
  let inFlightAtTermOk = 0;
  let refusedAfterClose = 0;
  /** Worst latency of the requests sent in each second of the run. */
  const perSecondMax: number[] = [];
  const errors = new Map<string, number>();
  const countError = (kind: string): void => void errors.set(kind, (errors.get(kind) ?? 0) + 1);
  let sent = 0;
  let completed = 0;
  let inFlight = 0;

  const fire = (s: Shot): void => {
    const started = performance.now();
    const samples = latencyBy[phase];
    const firedIn = phase;
    let written = false;
    let settled = false;
    inFlight += 1;
    sent += 1;
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: s.path, method: 'POST', servername: 'localhost', agent: phase === 'drain' ? drainAgent : agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s.body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          settled = true;
          inFlight -= 1;
          completed += 1;
          samples.push(performance.now() - started);
          pending.delete(s.uid);
          const second = Math.floor((started - loadStart) / 1000);
          if (firedIn !== 'warmup') perSecondMax[second] = Math.max(perSecondMax[second] ?? 0, performance.now() - started);
          if (res.statusCode !== 200) return countError(`http ${res.statusCode}`);
          try {
            const r = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { response: { uid: string; allowed: boolean; patch?: string } }).response;
            if (r.uid !== s.uid) return countError('uid mismatch');
            const verdict = !r.allowed ? 'denied' : r.patch !== undefined ? 'patched' : 'allowed';
            if (verdict !== s.expect) return countError(`expected ${s.expect}, got ${verdict}`);
            if (inFlightAtTerm?.has(s.uid)) inFlightAtTermOk += 1;
          } catch {
            countError('malformed body');
          }
        });
        res.on('error', () => {
          settled = true;
          inFlight -= 1;
          pending.delete(s.uid);
          countError('response error');
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      settled = true;
      inFlight -= 1;
      pending.delete(s.uid);
      // Never written to a connection, refused once the listener had closed: never accepted.
      if (!written && err.code === 'ECONNREFUSED' && inFlightAtTerm !== undefined) refusedAfterClose += 1;
      else countError(`request error ${err.code ?? err.message}`);
    });
    req.on('finish', () => {
      // 'finish' can come after the answer: only a request still waiting is in flight.
      written = true;
      if (!settled) pending.set(s.uid, s);
    });
    req.end(s.body);
  };

  // RSS every second.
  const rss: number[] = [];
  const sampler = setInterval(() => {
    const v = rssMiB(pid);
    if (v !== undefined) rss.push(v);
  }, 1000);

  // Warm-up: ramp linearly from 10 % to the full rate.
  let n = 0;
  const warmStart = performance.now();
  const warmMs = WARMUP_SECONDS * 1000;
  while (performance.now() - warmStart < warmMs) {
    const t = (performance.now() - warmStart) / 1000;
    const due = Math.floor(RATE * (0.1 * t + (0.9 * t * t) / (2 * WARMUP_SECONDS)));
    let sentNow = 0;
    while (sentNow < due - (n - 0)) {
      fire(nextShot(n++));
      sentNow += 1;
    }
    await sleep(10);
  }
  const warmupSent = sent;
  phase = 'steady';

  // Open-loop load: RATE per second in 10 ms ticks, whatever the answers' speed.
  let stopLoad = false;
  loadStart = performance.now();
  let base = n;
  const loadDone = new Promise<void>((done) => {
    const tick = (): void => {
      if (stopLoad) {
        done();
        return;
      }
      const due = base + Math.floor(((performance.now() - loadStart) / 1000) * RATE);
      while (n < due) fire(nextShot(n++));
      setTimeout(tick, 10);
    };
    tick();
  });
  loadStart = performance.now();
  base = n;

  const events: string[] = [];
  const note = (text: string): void => {
    const line = `t=${((performance.now() - loadStart) / 1000).toFixed(1)}s ${text}`;
    events.push(line);
    process.stdout.write(`  ${line}\n`);
  };
  /** Poll `check` every 50 ms for up to 10 s: note `done` when it holds, count `failed` if never. */
  const pollUntil = async (check: () => Promise<boolean>, done: string, failed: string): Promise<void> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await check()) {
        note(done);
        return;
      }
      if (Date.now() > deadline) {
        countError(failed);
        return;
      }
      await sleep(50);
    }
  };

  // 1/3: swap the bundle.
  await sleep((SECONDS * 1000) / 3);
  const hashB = bundleHash(bundleB);
  bundleVolume.update({ 'bundle.json': prettyCanonicalJson(bundleB) });
  note(`bundle swapped to ${hashB.slice(0, 19)}…`);
  await pollUntil(
    async () => {
      const r = await get('/readyz');
      return r.status === 200 && r.body.includes(hashB);
    },
    'bundle swap confirmed by /readyz',
    'bundle swap not picked up',
  );

  // 2/3: rotate the certificate.
  await sleep(Math.max(0, (SECONDS * 2000) / 3 - (performance.now() - loadStart)));
  const rotated = issueLoopbackCert(ca);
  tlsVolume.update({ 'tls.crt': rotated.cert, 'tls.key': rotated.key });
  note('TLS certificate rotated');
  const wanted = rotated.cert.replace(/-----[^-]+-----|\s/g, '');
  await pollUntil(
    async () => {
      const presented = await new Promise<string>((res) => {
        const s = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.cert }, () => {
          res(s.getPeerCertificate().raw.toString('base64'));
          s.destroy();
        });
        s.on('error', () => res(''));
      });
      return presented === wanted;
    },
    'new certificate served on new connections',
    'certificate rotation not picked up',
  );

  // End: SIGTERM under load; keep sending for half the drain delay, then stop and drain.
  await sleep(Math.max(0, SECONDS * 1000 - (performance.now() - loadStart)));
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const sentBeforeTerm = sent;
  phase = 'drain';
  inFlightAtTerm = new Set(pending.keys());
  child.kill('SIGTERM');
  note(`SIGTERM sent with ${inFlight} requests in flight`);
  await sleep(DRAIN_DELAY_MS / 2);
  stopLoad = true;
  await loadDone;
  note(`load stopped (${sent - sentBeforeTerm} requests sent after SIGTERM); waiting for ${inFlight} in flight`);
  const drainDeadline = Date.now() + 15_000;
  while (inFlight > 0 && Date.now() < drainDeadline) await sleep(10);
  const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout' as const)]);
  note(`portcullis serve exited with ${code}`);
  clearInterval(sampler);
  agent.destroy();
  drainAgent.destroy();
  if (inFlight > 0) countError(`${inFlight} requests never completed`);
  if (inFlightAtTermOk !== inFlightAtTerm.size) countError(`${inFlightAtTerm.size - inFlightAtTermOk} of the requests in flight at SIGTERM did not complete correctly`);
  if (code !== 0) countError(`exit code ${String(code)}`);
  if (code === 'timeout') child.kill('SIGKILL');

  const sorted = [...latencies].sort((a, b) => a - b);
  const drainSorted = [...drainLatencies].sort((a, b) => a - b);
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
  const curve = rss.filter((_, i) => i % 5 === 0).map((v) => v.toFixed(0));
  process.stdout.write(
    [
      '',
      `requests: ${sent} sent, ${completed} completed, ${errorCount} errors${errorCount > 0 ? ` (${[...errors].map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}`,
      `warm-up: ${warmupSent} requests over ${WARMUP_SECONDS} s (ramp to ${RATE} req/s); latency ms p50 ${percentile([...latencyBy.warmup].sort((a, b) => a - b), 50).toFixed(2)}, p99 ${percentile([...latencyBy.warmup].sort((a, b) => a - b), 99).toFixed(2)}`,
      `rate: ${((sentBeforeTerm - warmupSent) / loadSeconds).toFixed(0)} req/s offered, ${(latencies.length / loadSeconds).toFixed(0)} req/s answered over ${loadSeconds.toFixed(1)} s (measured phase)`,
      `shutdown: ${inFlightAtTerm.size} written and unanswered at SIGTERM, ${inFlightAtTermOk} completed correctly; ${drainLatencies.length} answers to requests sent after SIGTERM, all checked; ${refusedAfterClose} never written to a connection and refused at connect after the listener closed (never accepted)`,
      `latency ms (until SIGTERM): p50 ${percentile(sorted, 50).toFixed(2)}, p99 ${percentile(sorted, 99).toFixed(2)}, p99.9 ${percentile(sorted, 99.9).toFixed(2)}, max ${(sorted.at(-1) ?? NaN).toFixed(2)}`,
      `latency ms (sent after SIGTERM, ${drainSorted.length} requests): p50 ${percentile(drainSorted, 50).toFixed(2)}, p99 ${percentile(drainSorted, 99).toFixed(2)}, max ${(drainSorted.at(-1) ?? NaN).toFixed(2)}`,
      `worst latency ms per second sent: ${perSecondMax.map((v) => (v ?? 0).toFixed(0)).join(' ')}`,
      `RSS MiB (child, every 1 s): min ${Math.min(...rss).toFixed(1)}, max ${Math.max(...rss).toFixed(1)}; every 5 s: ${curve.join(' ')}`,
      `soak: ${errorCount === 0 ? 'PASS' : 'FAIL'} — ${errorCount} errors`,
      '',
    ].join('\n'),
  );
  if (errorCount > 0 && childStderr.trim() !== '') process.stdout.write(`child stderr:\n${childStderr.slice(-4000)}\n`);
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = errorCount === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

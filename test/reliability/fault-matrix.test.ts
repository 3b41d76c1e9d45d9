/**
 * Fault matrix for image verification, end to end: AdmissionReviews over real HTTPS to a real
 * PortcullisServer whose verifyImages policy names the REAL loopback registry (Debian's
 * docker-registry), a misbehaving proxy in front of it and a black hole. For every fault, through a
 * `Fail` and an `Ignore` webhook:
 * - an answer arrives inside the webhook's deadline (timeoutSeconds);
 * - the outcome is the failurePolicy's: a registry error denies under Fail (an error, not a policy
 *   verdict, and says so) and admits under Ignore with a warning — never a silent admission;
 * - a fault that clears within the deadline (slow answers, one 429 with a short Retry-After) still
 *   verifies and admits;
 * and afterwards no socket or timer is left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POD_TARGET, type Bundle, type Policy, type Webhook } from '../../runtime/bundle';
import { createImageVerifier } from '../../runtime/images';
import { admission } from '../helpers/admission';
import { validBundle } from '../helpers/bundles';
import { ecKeyPair, keyLegacyLayer, pushImage, pushLegacySignatures, randomRepo, simpleSigningPayload } from '../helpers/cosign';
import { startBlackHole, startFaultyRegistry, type BlackHole, type Fault, type FaultyRegistry } from '../helpers/faulty-registry';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import { toReview } from './arbitraries';
import { checkAnswer, type ParsedAnswer } from './invariants';
import { startReliabilityServer, type ReliabilityServer } from './server-harness';

const available = registryAvailable();
if (!available) registrySkipNotice();

const WEBHOOK_TIMEOUT_S = 4;
const REQUEST_TIMEOUT_MS = 1500;
const FAIL_PATH = '/validate/fail-images';
const IGNORE_PATH = '/validate/ignore-images';

function imagesBundle(hosts: string[], publicKeyPem: string): Bundle {
  const policy = (name: string, failurePolicy: 'Fail' | 'Ignore'): Policy => ({
    name,
    mode: 'Enforce',
    failurePolicy,
    timeoutSeconds: WEBHOOK_TIMEOUT_S,
    controllers: [],
    match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'] },
    exemptions: [],
    rules: [
      {
        name: 'signed',
        type: 'verifyImages',
        target: POD_TARGET,
        imageReferences: hosts.map((h) => `${h}/**`),
        attestors: [{ entries: [{ type: 'key', name: 'release', publicKey: publicKeyPem }] }],
        required: true,
        mutateDigest: false,
        verifyDigest: false,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        cacheTtlSeconds: 300,
        negativeCacheTtlSeconds: 0,
        registries: hosts.map((host) => ({ host, insecure: true })),
      },
    ],
  });
  const webhook = (path: string, policyName: string, failurePolicy: 'Fail' | 'Ignore'): Webhook => ({
    name: `${path.slice(1).replace(/\//g, '-')}.portcullis.dev`,
    type: 'validating',
    path,
    failurePolicy,
    timeoutSeconds: WEBHOOK_TIMEOUT_S,
    namespaceSelector: {},
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] }],
    policies: [policyName],
  });
  return validBundle(
    'fault-matrix',
    [policy('images-fail', 'Fail'), policy('images-ignore', 'Ignore')],
    [webhook(FAIL_PATH, 'images-fail', 'Fail'), webhook(IGNORE_PATH, 'images-ignore', 'Ignore')],
  );
}

function podReview(image: string): { uid: string; body: string } {
  const uid = `fault-${Math.random().toString(16).slice(2)}`;
  const input = admission({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'team-a' }, spec: { containers: [{ name: 'app', image }] } }, { uid });
  return { uid, body: JSON.stringify(toReview(input)) };
}

/** Counts of active handles by type ("TCPSocketWrap", "Timeout", …). */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

function leaked(before: Map<string, number>, after: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [kind, n] of after) if (n > (before.get(kind) ?? 0)) out.push(`${kind}: ${before.get(kind) ?? 0} → ${n}`);
  return out;
}

type Expect = 'error' | 'verified' | 'unverified';

interface Case {
  name: string;
  fault?: Fault;
  /** Which host the image lives on. */
  via: 'faulty' | 'hole' | 'registry';
  expect: Expect;
  /** Runs before the requests (e.g. stop the registry); its return value runs after. */
  around?: () => Promise<() => Promise<void>>;
  /** What the error message must mention (error cases). */
  mentions?: RegExp;
}

describe.skipIf(!available)('fault matrix: image verification under registry faults', () => {
  let reg: RunningRegistry;
  let faulty: FaultyRegistry;
  let hole: BlackHole;
  let server: ReliabilityServer;
  let baseline: Map<string, number>;
  const signer = ecKeyPair();
  /** A fresh signed image per case (so no cached verdict hides a fault). */
  const images: { repo: string; digest: string; sigLayer: string }[] = [];

  beforeAll(async () => {
    baseline = activeResources();
    reg = await startRegistry();
    faulty = await startFaultyRegistry(reg.port);
    hole = await startBlackHole();
    for (let i = 0; i < 16; i += 1) {
      const repo = randomRepo('fault');
      const img = await pushImage(reg.url, repo, 'v1', `fault-${i}`);
      const payload = simpleSigningPayload(`${reg.host}/${repo}`, img.digest);
      const sig = await pushLegacySignatures(reg.url, repo, img.digest, [keyLegacyLayer(signer.privateKey, payload)]);
      const manifest = (await (await fetch(`${reg.url}/v2/${repo}/manifests/${sig.digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).json()) as {
        layers: { digest: string }[];
      };
      images.push({ repo, digest: img.digest, sigLayer: manifest.layers[0].digest });
    }
    // The production wiring: one verifier per loaded bundle, closed by the server at shutdown.
    server = await startReliabilityServer(imagesBundle([reg.host, faulty.host, hole.host], signer.publicKeyPem), {
      listen: true,
      imageVerifierFor: (bundle, metrics) => createImageVerifier({ trustedRoots: bundle.trust.trustedRoots, metrics }),
    });
  });

  afterAll(async () => {
    // Idempotent cleanup in case the leak test did not run.
    await server?.close().catch(() => undefined);
    await faulty?.close();
    await hole?.close();
    await reg?.destroy();
  });

  let next = 0;
  const cases: Case[] = [
    { name: 'healthy registry (control)', via: 'registry', expect: 'verified' },
    { name: 'healthy proxy (control)', via: 'faulty', fault: { kind: 'none' }, expect: 'verified' },
    {
      name: 'registry stopped',
      via: 'registry',
      expect: 'error',
      mentions: /ECONNREFUSED/,
      around: async () => {
        await reg.stop();
        return () => reg.start();
      },
    },
    { name: 'accepts TCP, never answers', via: 'hole', expect: 'error', mentions: /deadline/ },
    { name: 'slow answers within the deadline', via: 'faulty', fault: { kind: 'slow', ms: 60 }, expect: 'verified' },
    { name: 'slow answers beyond the deadline', via: 'faulty', fault: { kind: 'slow', ms: 10_000 }, expect: 'error', mentions: /deadline/ },
    { name: 'body dripped byte by byte', via: 'faulty', fault: { kind: 'drip', intervalMs: 100 }, expect: 'error', mentions: /deadline/ },
    { name: '500 on every request', via: 'faulty', fault: { kind: 'status', status: 500 }, expect: 'error', mentions: /500/ },
    { name: '503 on every request (retried, then an error)', via: 'faulty', fault: { kind: 'status', status: 503 }, expect: 'error', mentions: /503/ },
    { name: '429 with Retry-After beyond the deadline', via: 'faulty', fault: { kind: 'status', status: 429, retryAfter: '30' }, expect: 'error', mentions: /429.*Retry-After/ },
    { name: '429 once with a short Retry-After', via: 'faulty', fault: { kind: 'status', status: 429, retryAfter: '0', times: 1 }, expect: 'verified' },
    { name: 'corrupt manifests', via: 'faulty', fault: { kind: 'corrupt-manifest' }, expect: 'error', mentions: /not JSON/ },
    { name: 'corrupt signature manifest', via: 'faulty', fault: { kind: 'corrupt-manifest', only: 'signatures' }, expect: 'error', mentions: /not JSON/ },
    { name: 'oversized manifest (16 MiB)', via: 'faulty', fault: { kind: 'oversized-manifest', bytes: 16 * 1024 * 1024 }, expect: 'error', mentions: /larger than/ },
    { name: 'signature manifest pointing at a missing blob', via: 'faulty', fault: { kind: 'missing-blob', digests: [] }, expect: 'error', mentions: /blob .* answered 404/ },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.expect}`, async () => {
      const image = images[next++];
      const host = c.via === 'faulty' ? faulty.host : c.via === 'hole' ? hole.host : reg.host;
      const fault = c.fault?.kind === 'missing-blob' ? { kind: 'missing-blob' as const, digests: [image.sigLayer] } : c.fault;
      faulty.setFault(fault ?? { kind: 'none' });
      const restore = c.around ? await c.around() : undefined;
      try {
        for (const [path, failurePolicy] of [[FAIL_PATH, 'Fail'], [IGNORE_PATH, 'Ignore']] as const) {
          const { uid, body } = podReview(`${host}/${image.repo}:v1`);
          const started = Date.now();
          const answer: ParsedAnswer = checkAnswer(await server.post(path, body), uid, `${c.name} ${path}`);
          const elapsed = Date.now() - started;
          expect(elapsed, `${c.name}: answered after ${elapsed} ms`).toBeLessThan(WEBHOOK_TIMEOUT_S * 1000);
          expect(answer.status).toBe(200);
          const r = answer.response!;
          const text = `${r.status?.message ?? ''} ${(r.warnings ?? []).join(' ')}`;
          if (c.expect === 'verified') {
            expect(r.allowed, text).toBe(true);
            expect(r.warnings, text).toBeUndefined();
          } else if (c.expect === 'error' && failurePolicy === 'Fail') {
            expect(r.allowed, text).toBe(false);
            expect(r.status?.code, text).toBe(500);
            expect(r.status?.message, text).toMatch(/evaluation error \(not a policy verdict\)/);
            expect(r.status?.message, text).toMatch(/failurePolicy Fail/);
            if (c.mentions) expect(r.status?.message, text).toMatch(c.mentions);
          } else if (c.expect === 'error') {
            expect(r.allowed, text).toBe(true);
            expect(r.warnings?.length ?? 0, `${c.name}: an Ignore admission must carry a warning`).toBeGreaterThan(0);
            expect(r.warnings?.join(' '), text).toMatch(/evaluation error/);
          } else {
            expect(r.allowed, text).toBe(false);
            expect(r.status?.code, text).toBe(403);
          }
        }
      } finally {
        faulty.setFault({ kind: 'none' });
        if (restore) await restore();
      }
    });
  }

  it('leaves no sockets or timers behind once the server, verifier and fakes are closed', async () => {
    // A verification through the proxy leaves a pooled keep-alive connection (30 s server timeout).
    const { uid, body } = podReview(`${faulty.host}/${images[next].repo}:v1`);
    expect(checkAnswer(await server.post(FAIL_PATH, body), uid).response?.allowed).toBe(true);
    expect(faulty.openConnections, 'the verifier pools connections while serving').toBeGreaterThan(0);
    await server.close();
    // Shutdown closed the bundle's verifier, and with it every pooled registry connection.
    const closedBy = Date.now() + 2000;
    while (faulty.openConnections > 0 && Date.now() < closedBy) await new Promise((r) => setTimeout(r, 20));
    expect(faulty.openConnections).toBe(0);
    await faulty.close();
    await hole.close();
    await reg.destroy();
    const deadline = Date.now() + 5000;
    let extra = leaked(baseline, activeResources());
    while (extra.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      extra = leaked(baseline, activeResources());
    }
    expect(extra, `still active: ${process.getActiveResourcesInfo().join(', ')}`).toEqual([]);
  });
});

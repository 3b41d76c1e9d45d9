/**
 * A real scrape of the runtime's /metrics for the observability pack's tests: the reference policy
 * set synthesized in memory, served by the real server over HTTPS (test/server/harness.ts), sent
 * AdmissionReviews that are allowed, denied, denied by an evaluation error (a registry that cannot
 * be reached) and exempted, plus an unknown path and a refused bundle reload — then `/metrics`,
 * parsed into samples. The image verifier is a stub with the real one's contract (a verdict, or a
 * RegistryError for an unreachable registry), so no registry and no network is needed.
 */
import { createReferenceApp } from '../../policies/app';
import { prettyCanonicalJson, type Bundle } from '../../runtime/bundle';
import type { ImageVerifier } from '../../runtime/engine/types';
import { RegistryError } from '../../runtime/images';
import { startHarness, waitFor } from '../server/harness';
import { pod, review, type ContainerSpec } from '../server/fixtures';
import { tempDir } from '../constructs/helpers';

export interface Sample {
  /** The sample name as written (`…_bucket`, `…_count` for histograms). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  text: string;
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
}

/** Parse the Prometheus text exposition format (what prom-client writes). */
export function parseExposition(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name, type);
      continue;
    }
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (m === null) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    let lm: RegExpExecArray | null;
    let end = 0;
    while ((lm = label.exec(body)) !== null) {
      labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      end = label.lastIndex;
    }
    if (end !== body.length) throw new Error(`unparsable labels: ${line}`);
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { text, samples, types };
}

const DIGEST = (c: string): string => `sha256:${c.repeat(64)}`;
const REGISTRY = 'registry.payments.example.com';

/** What the stub registry says: `unsigned` images have no valid signature, `unreachable` ones error. */
const stubVerifier: ImageVerifier = {
  resolveDigest: (image) => (image.includes('unreachable') ? Promise.reject(new RegistryError(`${REGISTRY}: connect ECONNREFUSED`)) : Promise.resolve(DIGEST('a'))),
  verify: (image) => {
    if (image.includes('unreachable')) return Promise.reject(new RegistryError(`${REGISTRY}: connect ECONNREFUSED`));
    const digest = image.split('@')[1] ?? DIGEST('a');
    return Promise.resolve(image.includes('unsigned') ? { image, digest, verified: false, reason: 'no signature from an attestor' } : { image, digest, verified: true });
  },
  verifyAttestations: (image) => Promise.resolve({ image, digest: image.split('@')[1] ?? DIGEST('a'), verified: true }),
};

const restricted = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
const resources = { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } };
const container = (image: string, securityContext: Record<string, unknown> = restricted): ContainerSpec => ({ name: 'app', image, resources, securityContext });

export interface ReferenceScrape {
  scrape: Scrape;
  bundle: Bundle;
  hash: string;
  /** Decisions the server answered, by webhook path (to check the scrape holds them). */
  outcomes: Array<{ path: string; allowed: boolean; code?: number }>;
}

/** Serve the reference set, send the reviews, scrape /metrics. */
export async function scrapeReferenceServer(): Promise<ReferenceScrape> {
  const app = createReferenceApp({ outdir: tempDir(), now: new Date('2026-06-01T00:00:00Z') });
  const { bundle, hash } = app.build();
  const h = await startHarness(bundle, { expectedBundleHash: hash, images: stubVerifier, now: () => new Date('2026-06-01T00:00:00Z') });
  try {
    const outcomes: ReferenceScrape['outcomes'] = [];
    const send = async (path: string, object: Record<string, unknown>): Promise<void> => {
      const r = await h.post(path, review({ object }));
      if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${r.text}`);
      const response = r.json.response as { allowed: boolean; status?: { code: number } };
      outcomes.push({ path, allowed: response.allowed, ...(response.status === undefined ? {} : { code: response.status.code }) });
    };
    const signed = `${REGISTRY}/payments/api@${DIGEST('b')}`;
    await send('/mutate/ignore-5s', pod('api', [container(signed)], 'payments'));
    await send('/mutate/fail-15s', pod('api', [container(signed)], 'payments'));
    // pod-security runs natively except where its expiring exemptions keep it on the webhook.
    const podSecurityPath = bundle.webhooks.find((w) => w.type === 'validating' && w.policies.includes('pod-security'))?.path ?? '';
    await send('/validate/fail-15s', pod('api', [container(signed)], 'payments'));
    await send('/validate/ignore-15s', pod('api', [container(signed)], 'payments'));
    await send('/validate/fail-15s', pod('unsigned', [container(`${REGISTRY}/payments/unsigned@${DIGEST('c')}`)], 'payments'));
    await send('/validate/fail-15s', pod('down', [container(`${REGISTRY}/payments/unreachable@${DIGEST('d')}`)], 'payments'));
    // The network-tools exemption relieves NET_ADMIN for its image in platform-network.
    const netAdmin = { ...restricted, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } };
    await send(podSecurityPath, pod('tcpdump', [container(`${REGISTRY}/platform/network-tools@${DIGEST('e')}`, netAdmin)], 'platform-network'));
    const unknown = await h.post('/validate/no-such-webhook', review({ object: pod('x', [container(signed)]) }));
    if (unknown.status !== 404) throw new Error(`unknown path answered ${unknown.status}`);
    // A bundle whose hash is not the Deployment's is refused; the last good one keeps serving.
    h.bundleVolume.update({ 'bundle.json': prettyCanonicalJson({ ...bundle, metadata: { ...bundle.metadata, name: 'not-the-deployments' } }) });
    await waitFor('a refused bundle reload', async () => (await h.get('/metrics')).text.includes('portcullis_bundle_reloads_total{result="refused"} 1'));
    const scrape = parseExposition((await h.get('/metrics')).text);
    return { scrape, bundle, hash, outcomes };
  } finally {
    await h.close();
  }
}

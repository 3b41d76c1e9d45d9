/**
 * Registry faults hit attestation checks exactly as they hit signature checks (against the REAL
 * registry behind a fault-injecting proxy): the same outcome — verified, or the same error class
 * with the same message up to the cosign tag it names — for a registry that is down, slow past the
 * deadline, throttling (429 + Retry-After, waited for), unavailable past the deadline (503 +
 * Retry-After 30 s), persistently failing (502, retried) and serving corrupt manifests. An error is
 * never a verdict: the failurePolicy decides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageVerifier, DeadlineError } from '../../runtime/images';
import { registryAvailable, registrySkipNotice, startRegistry, freePort, type RunningRegistry } from '../helpers/registry';
import { ecKeyPair, keyLegacyLayer, pushImage, pushLegacySignatures, randomRepo, simpleSigningPayload } from '../helpers/cosign';
import { keyAttestationLayer, provenanceV1, pushLegacyAttestations, SLSA_V1, statement } from '../helpers/attestations';
import { startFaultyRegistry, type Fault, type FaultyRegistry } from '../helpers/faulty-registry';
import { slsaProvenance } from '../../constructs';
import { attestationsRule, keySet, verifyRule } from './fixtures';

const available = registryAvailable();
if (!available) registrySkipNotice();

const BUILDER = 'https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main';

type Outcome = { verified: boolean } | { error: string; message: string };

describe.skipIf(!available)('registry faults: attestation checks behave as signature checks', () => {
  let reg: RunningRegistry;
  let faulty: FaultyRegistry;
  const signer = ecKeyPair();
  let repo: string;
  let digest: string;

  beforeAll(async () => {
    reg = await startRegistry();
    faulty = await startFaultyRegistry(reg.port);
    repo = randomRepo('faults');
    const img = await pushImage(reg.url, repo, 'v1', 'faults');
    digest = img.digest;
    await pushLegacySignatures(reg.url, repo, digest, [keyLegacyLayer(signer.privateKey, simpleSigningPayload(`${reg.host}/${repo}`, digest))]);
    const stmt = statement(digest, `${reg.host}/${repo}`, SLSA_V1, provenanceV1({ builderId: BUILDER, repository: 'https://github.com/acme/app', ref: 'refs/heads/main' }));
    await pushLegacyAttestations(reg.url, repo, digest, [keyAttestationLayer(signer.privateKey, stmt)]);
  });
  afterAll(async () => {
    await faulty?.close();
    await reg?.destroy();
  });

  async function outcome(run: () => Promise<{ verified: boolean }>): Promise<Outcome> {
    try {
      return { verified: (await run()).verified };
    } catch (err) {
      const e = err as Error;
      return { error: e instanceof DeadlineError ? 'DeadlineError' : e.name, message: e.message.replace(/sha256-[0-9a-f]{64}(\.(sig|att))?/g, '<cosign tag>') };
    }
  }

  /** Both checks against `host` under `fault` (reset before each, so "the first N requests" holds per check). */
  async function both(host: string, fault: Fault, requestTimeoutMs: number): Promise<{ signatures: Outcome; attestations: Outcome; ms: number[] }> {
    const registries = [{ host, insecure: true }];
    const attestors = [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })];
    const image = `${host}/${repo}@${digest}`;
    const v = createImageVerifier();
    try {
      faulty.setFault(fault);
      let t = Date.now();
      const signatures = await outcome(() => v.verify(image, verifyRule(registries, attestors, { requestTimeoutMs })));
      const ms = [Date.now() - t];
      faulty.setFault(fault);
      t = Date.now();
      const attestations = await outcome(() =>
        v.verifyAttestations(image, attestationsRule(registries, [slsaProvenance('build', { attestors, builderId: BUILDER })], { requestTimeoutMs })),
      );
      ms.push(Date.now() - t);
      return { signatures, attestations, ms };
    } finally {
      v.close();
      faulty.setFault({ kind: 'none' });
    }
  }

  it('healthy: both verify', async () => {
    const r = await both(faulty.host, { kind: 'none' }, 3000);
    expect(r.signatures).toEqual({ verified: true });
    expect(r.attestations).toEqual(r.signatures);
  });

  it('registry down: the same RegistryError (connection refused), not a verdict', async () => {
    const port = await freePort();
    const r = await both(`127.0.0.1:${port}`, { kind: 'none' }, 2000);
    expect(r.signatures).toMatchObject({ error: 'RegistryError', message: expect.stringContaining('ECONNREFUSED') as unknown });
    expect(r.attestations).toEqual(r.signatures);
  });

  it('slow past the deadline: the same DeadlineError, bounded by the deadline', async () => {
    const r = await both(faulty.host, { kind: 'slow', ms: 2000 }, 300);
    expect(r.signatures).toEqual({ error: 'DeadlineError', message: 'image check: deadline of 300 ms exceeded' });
    expect(r.attestations).toEqual(r.signatures);
    for (const ms of r.ms) expect(ms).toBeLessThan(1500);
  });

  it('429 with Retry-After: both wait as asked, then verify', async () => {
    const r = await both(faulty.host, { kind: 'status', status: 429, retryAfter: '1', times: 1 }, 3000);
    expect(r.signatures).toEqual({ verified: true });
    expect(r.attestations).toEqual(r.signatures);
    for (const ms of r.ms) expect(ms).toBeGreaterThanOrEqual(950);
  });

  it('503 with a Retry-After beyond the deadline, persistent 502, corrupt manifests: the same errors', async () => {
    const cases: Array<[Fault, RegExp]> = [
      [{ kind: 'status', status: 503, retryAfter: '30' }, /answered 503; retry after 30000 ms \(Retry-After\) would exceed the deadline/],
      [{ kind: 'status', status: 502 }, /answered 502 \(after 4 attempts\)/],
      [{ kind: 'corrupt-manifest' }, /manifest .*<cosign tag> is not JSON/],
    ];
    for (const [fault, message] of cases) {
      const r = await both(faulty.host, fault, 3000);
      expect(r.signatures, JSON.stringify(fault)).toMatchObject({ error: 'RegistryError', message: expect.stringMatching(message) as unknown });
      expect(r.attestations, JSON.stringify(fault)).toEqual(r.signatures);
    }
  });
});

/**
 * Many signature checks in flight must not make Node print "MaxListenersExceededWarning: Possible
 * EventTarget memory leak detected": a busy admission pod would print it on stderr and on-call would
 * chase a leak that is not there. 200 concurrent signature checks and 200 attestation checks share the verifier's closing signal and, like
 * the images of one large pod, one caller signal; against the real registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageVerifier } from '../../runtime/images';
import { followSignal } from '../../runtime/images/deadline';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import { ecKeyPair, keyLegacyLayer, pushImage, pushLegacySignatures, randomRepo, simpleSigningPayload } from '../helpers/cosign';
import { keyAttestationLayer, provenanceV1, pushLegacyAttestations, SLSA_V1, statement } from '../helpers/attestations';
import { slsaProvenance } from '../../constructs';
import { attestationsRule, keySet, verifyRule } from './fixtures';

const BUILDER = 'https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main';
const available = registryAvailable();
if (!available) registrySkipNotice();

/** Collect the process warnings emitted while `fn` runs (and one turn after). */
async function warningsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error): void => {
    seen.push(`${w.name}: ${w.message}`);
  };
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

describe('followSignal', () => {
  it('adds one listener to a parent however many children follow it, and aborts every live child', () => {
    const parent = new AbortController();
    const children = Array.from({ length: 50 }, () => new AbortController());
    const unfollow = children.map((c) => followSignal(parent.signal, c));
    unfollow[0]();
    parent.abort(new Error('closing'));
    expect(children[0].signal.aborted).toBe(false);
    expect(children.slice(1).every((c) => c.signal.aborted && (c.signal.reason as Error).message === 'closing')).toBe(true);
  });

  it('aborts a child at once when the parent already aborted', () => {
    const parent = new AbortController();
    parent.abort(new Error('gone'));
    const child = new AbortController();
    followSignal(parent.signal, child);
    expect(child.signal.aborted).toBe(true);
  });
});

describe.skipIf(!available)('200 concurrent signature checks', () => {
  let reg: RunningRegistry;
  const signer = ecKeyPair();

  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.destroy();
  });

  it('print no MaxListenersExceededWarning and all verify (200 signature + 200 attestation checks at once)', async () => {
    const rule = verifyRule([{ host: reg.host, insecure: true }], [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })]);
    const attested = attestationsRule(
      [{ host: reg.host, insecure: true }],
      [slsaProvenance('build', { attestors: [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })], builderId: BUILDER })],
    );
    const images: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      const repo = randomRepo(`busy${i}`);
      const img = await pushImage(reg.url, repo, 'v1', `${repo}-v1`);
      await pushLegacySignatures(reg.url, repo, img.digest, [keyLegacyLayer(signer.privateKey, simpleSigningPayload(`${reg.host}/${repo}`, img.digest))]);
      const provenance = provenanceV1({ builderId: BUILDER, repository: 'https://github.com/acme/app', ref: 'refs/heads/main' });
      await pushLegacyAttestations(reg.url, repo, img.digest, [keyAttestationLayer(signer.privateKey, statement(img.digest, `${reg.host}/${repo}`, SLSA_V1, provenance))]);
      images.push(`${reg.host}/${repo}:v1`);
    }
    const v = createImageVerifier();
    const review = new AbortController();
    try {
      let verdicts: Array<{ verified: boolean }> = [];
      const warnings = await warningsDuring(async () => {
        verdicts = await Promise.all([
          ...Array.from({ length: 200 }, (_, i) => v.verify(images[i % images.length], rule, review.signal)),
          ...Array.from({ length: 200 }, (_, i) => v.verifyAttestations(images[i % images.length], attested, review.signal)),
        ]);
      });
      expect(warnings).toEqual([]);
      expect(verdicts).toHaveLength(400);
      expect(verdicts.every((x) => x.verified)).toBe(true);
    } finally {
      v.close();
    }
  });
});

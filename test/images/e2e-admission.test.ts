/**
 * End to end: Pod AdmissionReviews through the running Portcullis server over real HTTPS, with the
 * image verifier built per bundle exactly as `portcullis serve` does, against the real registry.
 * The mutating webhook pins the tag to the (signed) digest; the validating webhook admits the
 * signed, pinned image and denies the unsigned one with a clear message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from '../../runtime/bundle';
import { createImageVerifier } from '../../runtime/images';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import { ecKeyPair, keyLegacyLayer, pushImage, pushLegacySignatures, simpleSigningPayload } from '../helpers/cosign';
import { startHarness, type Harness } from '../server/harness';
import { bundleWith, keySet, policyWith, verifyRule } from './fixtures';

const available = registryAvailable();
if (!available) registrySkipNotice();

interface ReviewResponse {
  uid: string;
  allowed: boolean;
  patchType?: string;
  patch?: string;
  status?: { code?: number; message?: string };
}

function review(uid: string, image: string): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name: 'web',
      namespace: 'apps',
      operation: 'CREATE',
      userInfo: { username: 'dev@example.com', groups: ['system:authenticated'] },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', namespace: 'apps' },
        spec: { containers: [{ name: 'app', image }] },
      },
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}

describe.skipIf(!available)('end to end: AdmissionReviews through the HTTPS server', () => {
  let reg: RunningRegistry;
  let harness: Harness;
  let bundle: Bundle;
  const signer = ecKeyPair();
  let signedDigest: string;
  let unsignedDigest: string;

  beforeAll(async () => {
    reg = await startRegistry();
    const signed = await pushImage(reg.url, 'shop/web', 'v1', 'e2e-signed');
    signedDigest = signed.digest;
    await pushLegacySignatures(reg.url, 'shop/web', signed.digest, [keyLegacyLayer(signer.privateKey, simpleSigningPayload(`${reg.host}/shop/web`, signed.digest))]);
    unsignedDigest = (await pushImage(reg.url, 'shop/web', 'rogue', 'e2e-unsigned')).digest;
    bundle = bundleWith([policyWith(verifyRule([{ host: reg.host, insecure: true }], [keySet({ name: 'release-key', publicKeyPem: signer.publicKeyPem })]))]);
    harness = await startHarness(bundle, {
      imageVerifierFor: (b, metrics) => createImageVerifier({ trustedRoots: b.trust.trustedRoots, metrics }),
    });
  });
  afterAll(async () => {
    await harness?.close();
    await reg?.destroy();
  });

  async function call(path: string, uid: string, image: string): Promise<ReviewResponse> {
    const res = await harness.post(path, review(uid, image));
    expect(res.status).toBe(200);
    const body = res.json as { response: ReviewResponse };
    expect(body.response.uid).toBe(uid);
    return body.response;
  }

  it('mutate pins the digest; validate admits the pinned signed image', async () => {
    const tagged = `${reg.host}/shop/web:v1`;
    const mutated = await call('/mutate/fail-10s', 'uid-mutate', tagged);
    expect(mutated.allowed).toBe(true);
    expect(mutated.patchType).toBe('JSONPatch');
    const patch = JSON.parse(Buffer.from(mutated.patch ?? '', 'base64').toString('utf8')) as unknown;
    expect(patch).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `${tagged}@${signedDigest}` }]);

    const validated = await call('/validate/fail-10s', 'uid-validate', `${tagged}@${signedDigest}`);
    expect(validated.allowed).toBe(true);
  });

  it('validate denies the unsigned image with a clear message', async () => {
    const rogue = `${reg.host}/shop/web:rogue`;
    const mutated = await call('/mutate/fail-10s', 'uid-rogue-m', rogue);
    const patch = JSON.parse(Buffer.from(mutated.patch ?? '', 'base64').toString('utf8')) as { value: string }[];
    const pinned = patch[0].value;
    expect(pinned).toBe(`${rogue}@${unsignedDigest}`);
    const denied = await call('/validate/fail-10s', 'uid-rogue-v', pinned);
    expect(denied.allowed).toBe(false);
    expect(denied.status?.code).toBe(403);
    expect(denied.status?.message).toContain(`[images/signed-images] verifyImages: container "app" image=${pinned} is not allowed`);
    expect(denied.status?.message).toContain(`no signatures found for ${unsignedDigest} (unsigned)`);
    expect(denied.status?.message).toContain('To request an exemption');
  });

  it('the verdict cache shows up in /metrics', async () => {
    await call('/validate/fail-10s', 'uid-again', `${reg.host}/shop/web:v1@${signedDigest}`);
    const metrics = await harness.get('/metrics');
    const lines = metrics.text.split('\n').filter((l) => /cache_(hits|misses)/.test(l) && !l.startsWith('#'));
    expect(lines.length).toBeGreaterThan(0);
    const hits = lines.find((l) => /hits/.test(l));
    expect(Number(hits?.split(' ').pop())).toBeGreaterThanOrEqual(1);
  });
});

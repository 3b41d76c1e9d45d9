/**
 * End to end: Pod AdmissionReviews through the running Portcullis server over real HTTPS, with the
 * image verifier built per bundle exactly as `portcullis serve` does, against the real registry:
 * a signature policy (Enforce) and a provenance policy in Audit and in Enforce. The image with valid
 * provenance is admitted silently; one built by another builder is admitted with a warning that
 * names the failed condition first under Audit, and denied with the whole message under Enforce;
 * an unreachable registry leaves the decision to failurePolicy (Fail: denied with the error, never as a verdict).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Policy } from '../../runtime/bundle';
import { createImageVerifier } from '../../runtime/images';
import { slsaProvenance } from '../../constructs';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import { ecKeyPair, keyLegacyLayer, pushImage, pushLegacySignatures, simpleSigningPayload } from '../helpers/cosign';
import { keyAttestationLayer, provenanceV1, pushLegacyAttestations, SLSA_V1, statement } from '../helpers/attestations';
import { review, type TestReview } from '../server/fixtures';
import { startHarness, type Harness } from '../server/harness';
import { attestationsRule, bundleWith, keySet, policyWith, verifyRule } from './fixtures';

const available = registryAvailable();
if (!available) registrySkipNotice();

const BUILDER = 'https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main';
const EVIL = 'https://github.com/evil/ci/.github/workflows/build.yml@refs/heads/main';

interface ReviewResponse {
  uid: string;
  allowed: boolean;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  status?: { code?: number; message?: string };
}

/** A Pod CREATE review (test/server/fixtures.ts builds the API server's envelope). */
function podReview(uid: string, namespace: string, image: string): TestReview {
  return review({ uid, object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace }, spec: { containers: [{ name: 'app', image }] } } });
}

describe.skipIf(!available)('end to end: provenance through the HTTPS server', () => {
  let reg: RunningRegistry;
  let harness: Harness;
  const signer = ecKeyPair();
  let good: string;
  let evil: string;

  beforeAll(async () => {
    reg = await startRegistry();
    const attest = async (tag: string, builderId: string): Promise<string> => {
      const img = await pushImage(reg.url, 'shop/web', tag, `e2e-att-${tag}`);
      await pushLegacySignatures(reg.url, 'shop/web', img.digest, [keyLegacyLayer(signer.privateKey, simpleSigningPayload(`${reg.host}/shop/web`, img.digest))]);
      const stmt = statement(img.digest, `${reg.host}/shop/web`, SLSA_V1, provenanceV1({ builderId, repository: 'https://github.com/acme/app', ref: 'refs/heads/main' }));
      await pushLegacyAttestations(reg.url, 'shop/web', img.digest, [keyAttestationLayer(signer.privateKey, stmt)]);
      return `${reg.host}/shop/web:${tag}@${img.digest}`;
    };
    good = await attest('good', BUILDER);
    evil = await attest('evil', EVIL);
    const registries = [{ host: reg.host, insecure: true }];
    const attestors = [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })];
    const provenance = (name: string, mode: Policy['mode'], namespaces: string[]): Policy => ({
      ...policyWith(attestationsRule(registries, [slsaProvenance('build', { attestors, builderId: BUILDER, sourceRef: 'refs/heads/main' })]), mode),
      name,
      match: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'], namespaces },
    });
    const bundle: Bundle = bundleWith([
      policyWith(verifyRule(registries, attestors, { mutateDigest: false })),
      provenance('provenance-audit', 'Audit', ['apps']),
      provenance('provenance-enforce', 'Enforce', ['prod']),
    ]);
    harness = await startHarness(bundle, {
      imageVerifierFor: (b, metrics) => createImageVerifier({ trustedRoots: b.trust.trustedRoots, metrics }),
    });
  });
  afterAll(async () => {
    await harness?.close();
    await reg?.destroy();
  });

  async function call(uid: string, namespace: string, image: string): Promise<ReviewResponse> {
    const res = await harness.post('/validate/fail-10s', podReview(uid, namespace, image));
    expect(res.status).toBe(200);
    return (res.json as { response: ReviewResponse }).response;
  }

  it('valid provenance: admitted without warnings, in Audit and in Enforce', async () => {
    const audit = await call('uid-good-a', 'apps', good);
    expect(audit.allowed).toBe(true);
    expect(audit.warnings ?? []).toEqual([]);
    expect((await call('uid-good-e', 'prod', good)).allowed).toBe(true);
  });

  it('another builder: Audit admits with a warning naming the condition, Enforce denies', async () => {
    const audit = await call('uid-evil-a', 'apps', evil);
    expect(audit.allowed).toBe(true);
    // Warnings are cut to 120 characters: the failed condition comes first, so it is still visible.
    expect(audit.warnings?.[0]).toMatch(/^\[provenance-audit\/attested-images\] verifyAttestations: container "app" is not allowed: provenance builder\.id https:/);
    expect(Object.values(audit.auditAnnotations ?? {}).join('\n')).toContain('attested-images/verifyAttestations(app)');
    const enforce = await call('uid-evil-e', 'prod', evil);
    expect(enforce.allowed).toBe(false);
    expect(enforce.status?.code).toBe(403);
    expect(enforce.status?.message).toContain(`provenance builder.id ${EVIL} is not ${BUILDER}`);
  });

  it('registry down: failurePolicy Fail denies with the error, not with a verdict', async () => {
    await reg.stop();
    try {
      const fresh = `${reg.host}/shop/web@sha256:${'c'.repeat(64)}`;
      const res = await call('uid-down', 'prod', fresh);
      expect(res.allowed).toBe(false);
      expect(res.status?.message).toMatch(/attestation check failed: .*ECONNREFUSED/);
      expect(res.status?.message).not.toContain('is not allowed: attestation check of');
    } finally {
      await reg.start();
    }
  });
});

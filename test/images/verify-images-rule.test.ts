/**
 * The verifyImages rule family through the engine (evaluate / evaluateOffline) with the real
 * ImageVerifier against the real registry: digest pinning (Pods, controllers when targeted,
 * init containers), signature verdicts with clear messages, Audit vs Enforce, skipImageReferences,
 * verifyDigest, required=false, unconfigured registries (denied, never contacted) and registry
 * errors (errors for the failurePolicy, never verdicts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLER_TARGETS, type Policy, type VerifyImagesRule } from '../../runtime/bundle';
import { evaluate, evaluateOffline } from '../../runtime/engine/evaluate';
import type { AdmissionInput } from '../../runtime/engine/types';
import { createImageVerifier, type ClosableImageVerifier } from '../../runtime/images';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import { ecKeyPair, keyLegacyLayer, pushImage, pushLegacySignatures, randomRepo, simpleSigningPayload } from '../helpers/cosign';
import { startBlackHole } from '../helpers/faulty-registry';
import { bundleWith, keySet, policyWith, verifyRule } from './fixtures';

const available = registryAvailable();
if (!available) registrySkipNotice();

function podInput(containers: Record<string, unknown>[], initContainers: Record<string, unknown>[] = []): AdmissionInput {
  return {
    uid: 'uid-1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    operation: 'CREATE',
    namespace: 'apps',
    name: 'web',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'apps' }, spec: { containers, initContainers } },
  };
}

describe.skipIf(!available)('verifyImages rule family with the real verifier and registry', () => {
  let reg: RunningRegistry;
  let verifier: ClosableImageVerifier;
  const signer = ecKeyPair();
  let repo: string;
  let signedDigest: string;
  let unsignedDigest: string;
  const now = new Date();

  beforeAll(async () => {
    reg = await startRegistry();
    verifier = createImageVerifier();
    repo = randomRepo('web');
    const img = await pushImage(reg.url, repo, 'v1', 'signed');
    signedDigest = img.digest;
    await pushLegacySignatures(reg.url, repo, img.digest, [keyLegacyLayer(signer.privateKey, simpleSigningPayload(`${reg.host}/${repo}`, img.digest))]);
    unsignedDigest = (await pushImage(reg.url, repo, 'unsigned', 'unsigned')).digest;
  });
  afterAll(async () => {
    verifier?.close();
    await reg?.destroy();
  });

  const rule = (overrides: Partial<VerifyImagesRule> = {}): VerifyImagesRule =>
    verifyRule([{ host: reg.host, insecure: true }], [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })], overrides);
  const ctx = () => ({ now, images: verifier });
  const policies = (r: VerifyImagesRule, mode: Policy['mode'] = 'Enforce') => bundleWith([policyWith(r, mode)]).policies;

  it('pins tags to digests on Pods (init containers too) and admits the signed image', async () => {
    const input = podInput([{ name: 'app', image: `${reg.host}/${repo}:v1` }], [{ name: 'init', image: `${reg.host}/${repo}:v1` }]);
    const result = await evaluateOffline(input, policies(rule()), ctx());
    expect(result.mutation.patches).toEqual([
      { op: 'replace', path: '/spec/initContainers/0/image', value: `${reg.host}/${repo}:v1@${signedDigest}` },
      { op: 'replace', path: '/spec/containers/0/image', value: `${reg.host}/${repo}:v1@${signedDigest}` },
    ]);
    expect(result.validation.violations).toEqual([]);
    expect(result.allowed).toBe(true);
  });

  it('denies the unsigned image with one clear line naming policy, rule, container and reason', async () => {
    const input = podInput([{ name: 'app', image: `${reg.host}/${repo}:unsigned` }]);
    const result = await evaluateOffline(input, policies(rule()), ctx());
    expect(result.allowed).toBe(false);
    expect(result.validation.violations).toHaveLength(1);
    const message = result.validation.violations[0].message;
    expect(message).toContain(`[images/signed-images] verifyImages: container "app" image=${reg.host}/${repo}:unsigned@${unsignedDigest} is not allowed`);
    expect(message).toContain('no signatures found');
    expect(message).toContain('(allowed: images signed by attestors "ci")');
    expect(message).toContain('To request an exemption: ask #platform');
  });

  it('Audit: no pinning, the unsigned image is admitted with a warning', async () => {
    const input = podInput([{ name: 'app', image: `${reg.host}/${repo}:unsigned` }]);
    const result = await evaluateOffline(input, policies(rule(), 'Audit'), ctx());
    expect(result.mutation.patches).toEqual([]);
    expect(result.allowed).toBe(true);
    expect(result.validation.warnings.map((w) => w.control)).toEqual(['verifyImages']);
  });

  it('skipImageReferences and unselected images are not checked', async () => {
    const input = podInput([
      { name: 'app', image: `${reg.host}/${repo}:unsigned` },
      { name: 'sidecar', image: 'docker.io/library/busybox:1.36' },
    ]);
    const r = rule({ skipImageReferences: [`${reg.host}/${repo}:unsigned`] });
    const result = await evaluateOffline(input, policies(r), ctx());
    expect(result.allowed).toBe(true);
    expect(result.mutation.patches).toEqual([]);
  });

  it('verifyDigest without mutateDigest requires the digest; required=false skips signatures', async () => {
    const tagOnly = podInput([{ name: 'app', image: `${reg.host}/${repo}:v1` }]);
    const d = await evaluate('validate', tagOnly, policies(rule({ mutateDigest: false, verifyDigest: true })), ctx());
    expect(d.violations.map((v) => v.message)).toEqual([
      expect.stringContaining('is not allowed: it is not pinned by digest'),
    ]);
    const unsigned = podInput([{ name: 'app', image: `${reg.host}/${repo}@${unsignedDigest}` }]);
    expect((await evaluate('validate', unsigned, policies(rule({ required: false })), ctx())).allowed).toBe(true);
  });

  it('an image on a registry the rule does not name is denied without any network traffic', async () => {
    const listener = await startBlackHole();
    try {
      const input = podInput([{ name: 'app', image: `${listener.host}/evil/miner:latest` }]);
      const result = await evaluateOffline(input, policies(rule({ imageReferences: ['**'] })), ctx());
      expect(result.allowed).toBe(false);
      expect(result.mutation.patches).toEqual([]);
      expect(result.validation.violations[0].message).toContain(`registry "${listener.host}" is not configured for this rule`);
      expect(listener.connections).toBe(0);
    } finally {
      await listener.close();
    }
  });

  it('registry errors are errors (failurePolicy decides), never verdicts', async () => {
    const hole = await startBlackHole();
    try {
      const r = verifyRule([{ host: hole.host, insecure: true }], [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })], { requestTimeoutMs: 200 });
      const input = podInput([{ name: 'app', image: `${hole.host}/${repo}:v1` }]);
      const mutation = await evaluate('mutate', input, policies(r), ctx());
      expect(mutation.errors[0].message).toMatch(/cannot resolve digest: .*deadline of 200 ms exceeded/);
      const validation = await evaluate('validate', input, policies(r), ctx());
      expect(validation.violations).toEqual([]);
      expect(validation.errors[0].message).toMatch(/signature check failed/);
      expect((await evaluateOffline(input, policies(r), ctx())).allowed).toBe(false); // Fail
    } finally {
      await hole.close();
    }
  });

  it('pins controller templates when the rule targets a controller (opt-in at synth)', async () => {
    const r = rule({ target: CONTROLLER_TARGETS.Deployment, name: 'signed-images-deployment', autogenFrom: 'signed-images' });
    const p = { ...policyWith(r), controllers: ['Deployment'], match: { kinds: ['Pod', 'Deployment'], operations: ['CREATE' as const, 'UPDATE' as const] } };
    const input: AdmissionInput = {
      uid: 'u',
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      operation: 'CREATE',
      namespace: 'apps',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'apps' },
        spec: { template: { metadata: {}, spec: { containers: [{ name: 'app', image: `${reg.host}/${repo}:v1` }] } } },
      },
    };
    const result = await evaluateOffline(input, bundleWith([p]).policies, ctx());
    expect(result.mutation.patches).toEqual([
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${reg.host}/${repo}:v1@${signedDigest}` },
    ]);
    expect(result.allowed).toBe(true);
  });
});

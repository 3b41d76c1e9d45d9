/**
 * Sigstore bundles that carry a message signature (no DSSE envelope) over the image manifest,
 * against the real registry: key-based and keyless verify; a bundle for another image, a tampered
 * signature and a wrong identity are refused with a reason that says which.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { createImageVerifier, type ClosableImageVerifier } from '../../runtime/images';
import type { KeylessAttestor } from '../../runtime/bundle';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import {
  ecKeyPair,
  manifestBytes,
  messageBundleV03,
  pushBundleReferrer,
  pushImage,
  randomRepo,
  TestFulcio,
  TestTransparencyLog,
  trustedRootJson,
} from '../helpers/cosign';
import { keySet, verifyRule } from './fixtures';

const available = registryAvailable();
if (!available) registrySkipNotice();

const MAIN = 'https://github.com/acme/app/.github/workflows/release.yaml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

describe.skipIf(!available)('message-signature Sigstore bundles on a real registry', () => {
  let reg: RunningRegistry;
  let fulcio: TestFulcio;
  let log: TestTransparencyLog;
  let verifier: ClosableImageVerifier;
  const signer = ecKeyPair();

  beforeAll(async () => {
    reg = await startRegistry();
    fulcio = new TestFulcio();
    log = new TestTransparencyLog();
    verifier = createImageVerifier({ trustedRoots: { test: trustedRootJson(fulcio, log) } });
  });
  afterAll(async () => {
    verifier?.close();
    fulcio?.dispose();
    await reg?.destroy();
  });

  const keyRule = () => verifyRule([{ host: reg.host, insecure: true }], [keySet({ name: 'release', publicKeyPem: signer.publicKeyPem })]);
  const keylessAttestor = (): KeylessAttestor => ({
    type: 'keyless',
    name: 'github-release',
    identities: [{ subject: MAIN, issuer: ISSUER }],
    trustedRoot: 'test',
    ctlogThreshold: 0,
  });
  const keylessRule = () => verifyRule([{ host: reg.host, insecure: true }], [{ entries: [keylessAttestor()] }]);

  async function image(seed: string) {
    const repo = randomRepo(seed);
    const img = await pushImage(reg.url, repo, 'v1', `${repo}-${seed}`);
    return { repo, img, bytes: await manifestBytes(reg.url, repo, img.digest), ref: `${reg.host}/${repo}@${img.digest}` };
  }

  it('key-based: verifies a message signature over the manifest', async () => {
    const { repo, img, bytes, ref } = await image('msgkey');
    await pushBundleReferrer(reg.url, repo, img, messageBundleV03(undefined, signer.privateKey, signer.publicKeyPem, { publicKey: { hint: 'k' } }, bytes));
    expect(await verifier.verify(ref, keyRule())).toMatchObject({ verified: true, digest: img.digest });
  });

  it('keyless: verifies a message signature by the trusted identity (chain, log entry, identity)', async () => {
    const { repo, img, bytes, ref } = await image('msgkl');
    const leaf = fulcio.issue({ subject: MAIN, issuer: ISSUER });
    const material = { certificate: { rawBytes: new X509Certificate(leaf.certPem).raw.toString('base64') } };
    await pushBundleReferrer(reg.url, repo, img, messageBundleV03(log, leaf.privateKey, leaf.certPem, material, bytes));
    expect(await verifier.verify(ref, keylessRule())).toMatchObject({ verified: true, digest: img.digest });
  });

  it('keyless: another identity is refused by identity, not as a broken signature', async () => {
    const { repo, img, bytes, ref } = await image('msgid');
    const leaf = fulcio.issue({ subject: `${MAIN}-unreviewed`, issuer: ISSUER });
    const material = { certificate: { rawBytes: new X509Certificate(leaf.certPem).raw.toString('base64') } };
    await pushBundleReferrer(reg.url, repo, img, messageBundleV03(log, leaf.privateKey, leaf.certPem, material, bytes));
    const v = await verifier.verify(ref, keylessRule());
    expect(v.verified).toBe(false);
    expect(v.reason).toMatch(/certificate identity .*main-unreviewed.* matches none of the allowed identities/);
  });

  it('a bundle signing another image names both digests', async () => {
    const a = await image('msga');
    const b = await image('msgb');
    // a's valid bundle attached to b
    await pushBundleReferrer(reg.url, b.repo, b.img, messageBundleV03(undefined, signer.privateKey, signer.publicKeyPem, { publicKey: { hint: 'k' } }, a.bytes));
    const v = await verifier.verify(b.ref, keyRule());
    expect(v.verified).toBe(false);
    expect(v.reason).toContain(`bundle's message signature is over ${a.img.digest}, not ${b.img.digest}`);
  });

  it('a tampered signature is refused as a failed signature', async () => {
    const { repo, img, bytes, ref } = await image('msgtamper');
    const bundle = messageBundleV03(undefined, signer.privateKey, signer.publicKeyPem, { publicKey: { hint: 'k' } }, bytes);
    const ms = bundle.messageSignature as { signature: string };
    const raw = Buffer.from(ms.signature, 'base64');
    raw[raw.length - 1] ^= 0x01;
    ms.signature = raw.toString('base64');
    await pushBundleReferrer(reg.url, repo, img, bundle);
    const v = await verifier.verify(ref, keyRule());
    expect(v.verified).toBe(false);
    expect(v.reason).toMatch(/sigstore verification failed/);
  });

  it('a message signature made with another key is refused', async () => {
    const other = ecKeyPair();
    const { repo, img, bytes, ref } = await image('msgother');
    await pushBundleReferrer(reg.url, repo, img, messageBundleV03(undefined, other.privateKey, other.publicKeyPem, { publicKey: { hint: 'k' } }, bytes));
    const v = await verifier.verify(ref, keyRule());
    expect(v.verified).toBe(false);
    expect(v.reason).toMatch(/sigstore verification failed/);
  });
});

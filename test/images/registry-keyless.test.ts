/**
 * Keyless verification against the REAL registry with a self-made Fulcio-like CA and
 * transparency-log key in a custom trusted root (air-gapped style): legacy `.sig` layers with
 * certificate + Rekor bundle, and a Sigstore bundle v0.3 stored as an OCI 1.1 referrer (found
 * through the `sha256-<hex>` referrers tag, as docker-registry 2.8 has no referrers API).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeylessAttestor } from '../../runtime/bundle';
import { createImageVerifier, type ClosableImageVerifier } from '../../runtime/images';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import {
  inTotoStatement,
  keylessBundleV03,
  keylessLegacyLayer,
  pushBundleReferrer,
  pushImage,
  pushLegacySignatures,
  randomRepo,
  simpleSigningPayload,
  TestFulcio,
  TestTransparencyLog,
  trustedRootJson,
  type FulcioIdentity,
} from '../helpers/cosign';
import { bundleWith, policyWith, verifyRule } from './fixtures';

const available = registryAvailable();
if (!available) registrySkipNotice();

const MAIN = 'https://github.com/acme/app/.github/workflows/release.yaml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

describe.skipIf(!available)('keyless signatures with a custom trusted root', () => {
  let reg: RunningRegistry;
  let fulcio: TestFulcio;
  let rogueCa: TestFulcio;
  let log: TestTransparencyLog;
  let rogueLog: TestTransparencyLog;
  let verifier: ClosableImageVerifier;

  beforeAll(async () => {
    reg = await startRegistry();
    fulcio = new TestFulcio();
    rogueCa = new TestFulcio('rogue-ca');
    log = new TestTransparencyLog();
    rogueLog = new TestTransparencyLog();
    const trustedRoots = { test: trustedRootJson(fulcio, log) };
    // The trusted root travels in the bundle: check it is a valid bundle.
    bundleWith([policyWith(verifyRule([{ host: reg.host, insecure: true }], [{ entries: [attestor()] }]))], trustedRoots);
    verifier = createImageVerifier({ trustedRoots });
  });
  afterAll(async () => {
    verifier?.close();
    fulcio?.dispose();
    rogueCa?.dispose();
    await reg?.destroy();
  });

  function attestor(identities: KeylessAttestor['identities'] = [{ subject: MAIN, issuer: ISSUER }]): KeylessAttestor {
    return { type: 'keyless', name: 'github-release', identities, trustedRoot: 'test', ctlogThreshold: 0 };
  }
  const rule = (a: KeylessAttestor = attestor()) => verifyRule([{ host: reg.host, insecure: true }], [{ entries: [a] }]);

  async function signedKeyless(opts: { identity?: FulcioIdentity; ca?: TestFulcio; tlog?: TestTransparencyLog; integratedTime?: number } = {}) {
    const repo = randomRepo('kl');
    const img = await pushImage(reg.url, repo, 'v1', repo);
    const leaf = (opts.ca ?? fulcio).issue(opts.identity ?? { subject: MAIN, issuer: ISSUER });
    const payload = simpleSigningPayload(`${reg.host}/${repo}`, img.digest);
    await pushLegacySignatures(reg.url, repo, img.digest, [
      keylessLegacyLayer(opts.ca ?? fulcio, opts.tlog ?? log, leaf, payload, opts.integratedTime),
    ]);
    return `${reg.host}/${repo}@${img.digest}`;
  }

  it('verifies a keyless legacy signature (chain, SET, validity at integrated time, identity)', async () => {
    const image = await signedKeyless();
    expect(await verifier.verify(image, rule())).toMatchObject({ verified: true });
  });

  it('wrong identity: exact subject never accepts a longer ref (main-unreviewed)', async () => {
    const image = await signedKeyless({ identity: { subject: `${MAIN}-unreviewed`, issuer: ISSUER } });
    const verdict = await verifier.verify(image, rule());
    expect(verdict.verified).toBe(false);
    expect(verdict.reason).toContain('matches none of the allowed identities');
    // An unanchored-looking regex is anchored by the verifier.
    const re = attestor([{ subjectRegExp: 'https://github\\.com/acme/app/\\.github/workflows/release\\.yaml@refs/heads/main', issuer: ISSUER }]);
    expect((await verifier.verify(image, rule(re))).verified).toBe(false);
    const good = await signedKeyless();
    expect((await verifier.verify(good, rule(re))).verified).toBe(true);
  });

  it('wrong issuer is rejected (exact and regex)', async () => {
    const image = await signedKeyless({ identity: { subject: MAIN, issuer: 'https://accounts.google.com' } });
    expect((await verifier.verify(image, rule())).verified).toBe(false);
    const re = attestor([{ subject: MAIN, issuerRegExp: 'https://token\\.actions\\.githubusercontent\\.com' }]);
    expect((await verifier.verify(image, rule(re))).verified).toBe(false);
    const ok = attestor([{ subject: MAIN, issuerRegExp: 'https://(token\\.actions\\.githubusercontent|accounts\\.google)\\.com' }]);
    expect((await verifier.verify(image, rule(ok))).verified).toBe(true);
  });

  it('rejects a certificate from a CA the trusted root does not hold', async () => {
    const image = await signedKeyless({ ca: rogueCa });
    const verdict = await verifier.verify(image, rule());
    expect(verdict.verified).toBe(false);
    expect(verdict.reason).toMatch(/certificate/i);
  });

  it('rejects a SET signed by an untrusted log', async () => {
    const image = await signedKeyless({ tlog: rogueLog });
    const verdict = await verifier.verify(image, rule());
    expect(verdict.verified).toBe(false);
    expect(verdict.reason).toMatch(/sigstore verification failed/);
  });

  it('rejects a certificate that was not valid at the integrated time', async () => {
    const image = await signedKeyless({ integratedTime: Math.floor(Date.now() / 1000) + 3 * 86_400 });
    const verdict = await verifier.verify(image, rule());
    expect(verdict.verified).toBe(false);
    expect(verdict.reason).toMatch(/expired|not valid/);
  });

  it('an unknown trusted root name is a configuration error (rejects)', async () => {
    const image = await signedKeyless();
    await expect(verifier.verify(image, rule({ ...attestor(), trustedRoot: 'missing' }))).rejects.toThrow(/trusted root "missing"/);
  });

  it('verifies a Sigstore bundle v0.3 referrer through the referrers-tag fallback', async () => {
    const repo = randomRepo('bundle');
    const img = await pushImage(reg.url, repo, 'v1', repo);
    const leaf = fulcio.issue({ subject: MAIN, issuer: ISSUER });
    await pushBundleReferrer(reg.url, repo, img, keylessBundleV03(log, leaf, inTotoStatement(img.digest, `${reg.host}/${repo}`)));
    expect(await verifier.verify(`${reg.host}/${repo}:v1`, rule())).toMatchObject({ verified: true, digest: img.digest });

    // A bundle whose statement names another image does not count.
    const other = await pushImage(reg.url, repo, 'v2', `${repo}-other`);
    await pushBundleReferrer(reg.url, repo, other, keylessBundleV03(log, leaf, inTotoStatement(img.digest, `${reg.host}/${repo}`)));
    const verdict = await verifier.verify(`${reg.host}/${repo}:v2`, rule());
    expect(verdict.verified).toBe(false);
    expect(verdict.reason).toContain(`does not name ${other.digest}`);

    // Wrong identity in a bundle is rejected too.
    const third = await pushImage(reg.url, repo, 'v3', `${repo}-third`);
    const stranger = fulcio.issue({ subject: `${MAIN}-unreviewed`, issuer: ISSUER });
    await pushBundleReferrer(reg.url, repo, third, keylessBundleV03(log, stranger, inTotoStatement(third.digest, `${reg.host}/${repo}`)));
    expect((await verifier.verify(`${reg.host}/${repo}:v3`, rule())).verified).toBe(false);
  });
});

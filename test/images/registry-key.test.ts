/**
 * Key-based verification against the REAL registry (Debian's docker-registry on loopback):
 * signed, unsigned, wrong key, copied signature, tampered payload, tag moved after pinning,
 * multi-arch index, key types, attestor counts, cache and coalescing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { createImageVerifier, RegistryError } from '../../runtime/images';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import {
  ecKeyPair,
  inTotoStatement,
  keyBundleV03,
  keyLegacyLayer,
  pushBundleReferrer,
  TestFulcio,
  TestTransparencyLog,
  trustedRootJson,
  pushImage,
  pushIndex,
  pushLegacySignatures,
  randomRepo,
  signPayload,
  simpleSigningPayload,
} from '../helpers/cosign';
import { startProxy } from './proxy';
import { keySet, verifyRule } from './fixtures';

const available = registryAvailable();
if (!available) registrySkipNotice();

describe.skipIf(!available)('key-based signatures on a real registry', () => {
  let reg: RunningRegistry;
  const signer = ecKeyPair();
  const other = ecKeyPair();

  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.destroy();
  });

  const rule = (attestors = [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })], overrides = {}) =>
    verifyRule([{ host: reg.host, insecure: true }], attestors, overrides);

  async function signedImage(repo: string, tag = 'v1', key = signer.privateKey) {
    const img = await pushImage(reg.url, repo, tag, `${repo}-${tag}`);
    const payload = simpleSigningPayload(`${reg.host}/${repo}`, img.digest);
    await pushLegacySignatures(reg.url, repo, img.digest, [keyLegacyLayer(key, payload)]);
    return img;
  }

  it('resolves a tag to its digest and verifies a signed image', async () => {
    const repo = randomRepo();
    const img = await signedImage(repo);
    const v = createImageVerifier();
    try {
      expect(await v.resolveDigest(`${reg.host}/${repo}:v1`, rule())).toBe(img.digest);
      const verdict = await v.verify(`${reg.host}/${repo}:v1@${img.digest}`, rule());
      expect(verdict).toMatchObject({ verified: true, digest: img.digest });
      expect(verdict.reason).toBeUndefined();
    } finally {
      v.close();
    }
  });

  it('reports an unsigned image as not verified (a verdict, not an error)', async () => {
    const repo = randomRepo();
    const img = await pushImage(reg.url, repo, 'v1', 'unsigned');
    const v = createImageVerifier();
    try {
      const verdict = await v.verify(`${reg.host}/${repo}@${img.digest}`, rule());
      expect(verdict.verified).toBe(false);
      expect(verdict.reason).toMatch(/no signatures found.*unsigned/);
    } finally {
      v.close();
    }
  });

  it('rejects a signature made with another key', async () => {
    const repo = randomRepo();
    const img = await signedImage(repo, 'v1', other.privateKey);
    const v = createImageVerifier();
    try {
      const verdict = await v.verify(`${reg.host}/${repo}@${img.digest}`, rule());
      expect(verdict.verified).toBe(false);
      expect(verdict.reason).toMatch(/signature does not verify with the key/);
    } finally {
      v.close();
    }
  });

  it('rejects a valid signature copied from another image', async () => {
    const repo = randomRepo();
    const good = await signedImage(repo, 'good');
    const evil = await pushImage(reg.url, repo, 'evil', 'evil');
    // Copy good's exact signature layer onto evil's .sig tag.
    const payload = simpleSigningPayload(`${reg.host}/${repo}`, good.digest);
    await pushLegacySignatures(reg.url, repo, evil.digest, [keyLegacyLayer(signer.privateKey, payload)]);
    const v = createImageVerifier();
    try {
      const verdict = await v.verify(`${reg.host}/${repo}@${evil.digest}`, rule());
      expect(verdict.verified).toBe(false);
      expect(verdict.reason).toContain(`signature is for ${good.digest}, not ${evil.digest}`);
    } finally {
      v.close();
    }
  });

  it('rejects a tampered payload', async () => {
    const repo = randomRepo();
    const img = await pushImage(reg.url, repo, 'v1', 'tamper');
    const payload = simpleSigningPayload(`${reg.host}/${repo}`, img.digest);
    const signature = signPayload(signer.privateKey, payload);
    // Same digest claim, one byte of the identity changed after signing.
    const tampered = Buffer.from(payload.toString().replace(`${reg.host}/${repo}`, `${reg.host}/${repo}x`));
    await pushLegacySignatures(reg.url, repo, img.digest, [
      { payload: tampered, annotations: { 'dev.cosignproject.cosign/signature': signature } },
    ]);
    const v = createImageVerifier();
    try {
      const verdict = await v.verify(`${reg.host}/${repo}@${img.digest}`, rule());
      expect(verdict.verified).toBe(false);
      expect(verdict.reason).toMatch(/signature does not verify/);
    } finally {
      v.close();
    }
  });

  it('keeps verifying the pinned digest after the tag moves, and judges the tag by its new target', async () => {
    const repo = randomRepo();
    const first = await signedImage(repo, 'stable');
    const v = createImageVerifier();
    try {
      const pinned = `${reg.host}/${repo}:stable@${await v.resolveDigest(`${reg.host}/${repo}:stable`, rule())}`;
      expect(pinned).toBe(`${reg.host}/${repo}:stable@${first.digest}`);
      const moved = await pushImage(reg.url, repo, 'stable', 'moved-unsigned');
      expect(moved.digest).not.toBe(first.digest);
      expect(await v.verify(pinned, rule())).toMatchObject({ verified: true, digest: first.digest });
      expect(await v.resolveDigest(`${reg.host}/${repo}:stable`, rule())).toBe(moved.digest);
      expect(await v.verify(`${reg.host}/${repo}:stable`, rule())).toMatchObject({ verified: false, digest: moved.digest });
    } finally {
      v.close();
    }
  });

  it('multi-arch: the index digest is resolved, signed and verified; a platform manifest is not covered', async () => {
    const repo = randomRepo();
    const { index, platforms } = await pushIndex(reg.url, repo, 'multi', 'ma');
    const payload = simpleSigningPayload(`${reg.host}/${repo}`, index.digest);
    await pushLegacySignatures(reg.url, repo, index.digest, [keyLegacyLayer(signer.privateKey, payload)]);
    const v = createImageVerifier();
    try {
      expect(await v.resolveDigest(`${reg.host}/${repo}:multi`, rule())).toBe(index.digest);
      expect(await v.verify(`${reg.host}/${repo}:multi`, rule())).toMatchObject({ verified: true, digest: index.digest });
      const platform = await v.verify(`${reg.host}/${repo}@${platforms[0].digest}`, rule());
      expect(platform.verified).toBe(false);
    } finally {
      v.close();
    }
  });

  it('verifies ECDSA P-384, RSA and Ed25519 keys', async () => {
    const p384 = ecKeyPair('P-384');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ed = generateKeyPairSync('ed25519');
    const cases = [
      { name: 'p384', priv: p384.privateKey, pem: p384.publicKeyPem, hash: 'sha384' as string | null },
      { name: 'rsa', priv: rsa.privateKey, pem: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(), hash: 'sha256' as string | null },
      { name: 'ed25519', priv: ed.privateKey, pem: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(), hash: null },
    ];
    const v = createImageVerifier();
    try {
      for (const c of cases) {
        const repo = randomRepo(c.name);
        const img = await pushImage(reg.url, repo, 'v1', c.name);
        const payload = simpleSigningPayload(`${reg.host}/${repo}`, img.digest);
        await pushLegacySignatures(reg.url, repo, img.digest, [
          { payload, annotations: { 'dev.cosignproject.cosign/signature': signPayload(c.priv, payload, c.hash) } },
        ]);
        const ok = await v.verify(`${reg.host}/${repo}@${img.digest}`, rule([keySet({ name: c.name, publicKeyPem: c.pem })]));
        expect(ok.verified, c.name).toBe(true);
        const wrong = await v.verify(`${reg.host}/${repo}@${img.digest}`, rule([keySet({ name: 'other', publicKeyPem: other.publicKeyPem })]));
        expect(wrong.verified, c.name).toBe(false);
      }
    } finally {
      v.close();
    }
  });

  it('applies attestor count within a set and ANDs sets', async () => {
    const a = ecKeyPair();
    const b = ecKeyPair();
    const c = ecKeyPair();
    const repo = randomRepo();
    const img = await pushImage(reg.url, repo, 'v1', 'count');
    const payload = simpleSigningPayload(`${reg.host}/${repo}`, img.digest);
    await pushLegacySignatures(reg.url, repo, img.digest, [keyLegacyLayer(a.privateKey, payload), keyLegacyLayer(b.privateKey, payload)]);
    const ref = `${reg.host}/${repo}@${img.digest}`;
    const entries = [
      { type: 'key' as const, name: 'a', publicKey: a.publicKeyPem },
      { type: 'key' as const, name: 'b', publicKey: b.publicKeyPem },
      { type: 'key' as const, name: 'c', publicKey: c.publicKeyPem },
    ];
    const v = createImageVerifier();
    try {
      expect((await v.verify(ref, rule([{ count: 2, entries }]))).verified).toBe(true);
      const three = await v.verify(ref, rule([{ count: 3, entries }]));
      expect(three.verified).toBe(false);
      expect(three.reason).toContain('2 of 3 required attestors verified');
      expect((await v.verify(ref, rule([{ entries }]))).verified).toBe(false); // no count = all
      expect((await v.verify(ref, rule([keySet({ name: 'a', publicKeyPem: a.publicKeyPem }), keySet({ name: 'b', publicKeyPem: b.publicKeyPem })]))).verified).toBe(true);
      expect((await v.verify(ref, rule([keySet({ name: 'a', publicKeyPem: a.publicKeyPem }), keySet({ name: 'c', publicKeyPem: c.publicKeyPem })]))).verified).toBe(false);
    } finally {
      v.close();
    }
  });

  it('caches successful verdicts (served while the registry is down) and coalesces concurrent checks', async () => {
    const repo = randomRepo();
    const img = await signedImage(repo);
    const proxy = await startProxy(reg.port);
    const r = verifyRule([{ host: proxy.host, insecure: true }], [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })]);
    const counts = { hit: 0, miss: 0 };
    const v = createImageVerifier({ metrics: { cacheHit: () => counts.hit++, cacheMiss: () => counts.miss++ } });
    try {
      const ref = `${proxy.host}/${repo}@${img.digest}`;
      const verdicts = await Promise.all(Array.from({ length: 10 }, () => v.verify(ref, r)));
      expect(verdicts.every((x) => x.verified)).toBe(true);
      const sigFetches = proxy.log.filter((l) => l.url.endsWith('.sig')).length;
      expect(sigFetches).toBe(1);
      // docker-registry 2.8 has no referrers API: probed once, then the referrers tag is used directly.
      expect(proxy.log.filter((l) => l.url.includes('/referrers/')).length).toBe(1);
      expect(proxy.log.filter((l) => l.url.includes(`/manifests/sha256-${img.digest.slice(7)}`) && !l.url.endsWith('.sig')).length).toBe(1);
      const before = proxy.log.length;
      await proxy.close();
      expect((await v.verify(ref, r)).verified).toBe(true);
      expect(proxy.log.length).toBe(before);
      expect(counts.hit).toBe(1);
      expect(counts.miss).toBe(10);
    } finally {
      v.close();
      await proxy.close().catch(() => undefined);
    }
  });

  it('does not cache failures by default; caches them for negativeCacheTtlSeconds when set', async () => {
    const repo = randomRepo();
    const img = await pushImage(reg.url, repo, 'v1', 'neg');
    const proxy = await startProxy(reg.port);
    const ref = `${proxy.host}/${repo}@${img.digest}`;
    const base = [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })];
    const v = createImageVerifier();
    try {
      const noNeg = verifyRule([{ host: proxy.host, insecure: true }], base);
      await v.verify(ref, noNeg);
      await v.verify(ref, noNeg);
      expect(proxy.log.filter((l) => l.url.endsWith('.sig')).length).toBe(2);
      expect(proxy.log.filter((l) => l.url.includes('/referrers/')).length).toBe(1); // remembered: no referrers API
      const neg = verifyRule([{ host: proxy.host, insecure: true }], base, { negativeCacheTtlSeconds: 5, name: 'neg' });
      // A different attestor configuration is a different cache key.
      const negRule = { ...neg, attestors: [keySet({ name: 'ci2', publicKeyPem: signer.publicKeyPem })] };
      await v.verify(ref, negRule);
      await v.verify(ref, negRule);
      expect(proxy.log.filter((l) => l.url.endsWith('.sig')).length).toBe(3);
    } finally {
      v.close();
      await proxy.close();
    }
  });

  it('a missing tag is a registry error, not a verdict', async () => {
    const v = createImageVerifier();
    try {
      await expect(v.verify(`${reg.host}/${randomRepo()}:nope`, rule())).rejects.toBeInstanceOf(RegistryError);
    } finally {
      v.close();
    }
  });

  describe('transparency log and Sigstore bundles with keys', () => {
    const log = new TestTransparencyLog();
    const rogueLog = new TestTransparencyLog();
    let fulcio: TestFulcio;
    let trustedRoots: Record<string, unknown>;
    beforeAll(() => {
      fulcio = new TestFulcio();
      trustedRoots = { air: trustedRootJson(fulcio, log) };
    });
    afterAll(() => fulcio?.dispose());

    const tlogRule = () =>
      rule([{ entries: [{ type: 'key', name: 'ci', publicKey: signer.publicKeyPem, requireTlog: true, trustedRoot: 'air' }] }]);

    it('key + requireTlog: the SET must verify against the attestor trusted root log', async () => {
      const v = createImageVerifier({ trustedRoots });
      try {
        for (const [what, tlog, expected] of [
          ['trusted log', log, true],
          ['rogue log', rogueLog, false],
          ['no log entry', undefined, false],
        ] as const) {
          const repo = randomRepo('tlog');
          const img = await pushImage(reg.url, repo, 'v1', `${repo}-${what}`);
          const payload = simpleSigningPayload(`${reg.host}/${repo}`, img.digest);
          await pushLegacySignatures(reg.url, repo, img.digest, [
            keyLegacyLayer(signer.privateKey, payload, tlog ? { log: tlog, publicKeyPem: signer.publicKeyPem } : undefined),
          ]);
          const verdict = await v.verify(`${reg.host}/${repo}@${img.digest}`, tlogRule());
          expect(verdict.verified, what).toBe(expected);
          if (!expected) expect(verdict.reason).toMatch(/transparency-log entry|sigstore verification failed/);
        }
      } finally {
        v.close();
      }
    });

    it('key-based Sigstore bundle v0.3 referrers, with and without a log entry', async () => {
      const v = createImageVerifier({ trustedRoots });
      try {
        const repo = randomRepo('kbundle');
        const logged = await pushImage(reg.url, repo, 'logged', `${repo}-logged`);
        await pushBundleReferrer(reg.url, repo, logged, keyBundleV03(log, signer.privateKey, signer.publicKeyPem, inTotoStatement(logged.digest, repo)));
        const bare = await pushImage(reg.url, repo, 'bare', `${repo}-bare`);
        await pushBundleReferrer(reg.url, repo, bare, keyBundleV03(undefined, signer.privateKey, signer.publicKeyPem, inTotoStatement(bare.digest, repo)));
        const wrongKey = await pushImage(reg.url, repo, 'wrong', `${repo}-wrong`);
        await pushBundleReferrer(reg.url, repo, wrongKey, keyBundleV03(undefined, other.privateKey, other.publicKeyPem, inTotoStatement(wrongKey.digest, repo)));

        expect(await v.verify(`${reg.host}/${repo}:logged`, tlogRule())).toMatchObject({ verified: true, digest: logged.digest });
        expect((await v.verify(`${reg.host}/${repo}:bare`, tlogRule())).verified).toBe(false);
        expect((await v.verify(`${reg.host}/${repo}:bare`, rule())).verified).toBe(true);
        expect((await v.verify(`${reg.host}/${repo}:logged`, rule())).verified).toBe(true);
        const wrong = await v.verify(`${reg.host}/${repo}:wrong`, rule());
        expect(wrong.verified).toBe(false);
        expect(wrong.reason).toMatch(/signature verification failed/);
      } finally {
        v.close();
      }
    });
  });
});

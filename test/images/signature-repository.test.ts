/**
 * `repository` (cosign's COSIGN_REPOSITORY): signatures stored in another repository, against the
 * REAL registry — legacy `.sig`, DSSE bundle and message-signature bundle referrers stored
 * elsewhere verify (the message signature still covers the image's own manifest); a repository on a
 * second allowed registry works; a repository on a host the rule does not name is refused at synth
 * and at runtime with zero connections (to it, and to the image's registry). `portcullis diff`
 * says where signatures are now read from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyAttestor, Policy, VerifyImages } from '../../constructs';
import { validateBundle } from '../../runtime/bundle';
import { evaluate } from '../../runtime/engine/evaluate';
import { createImageVerifier, RegistryNotAllowedError } from '../../runtime/images';
import { parseRepository, repositoryProblem } from '../../runtime/images/repository';
import { diffBundles } from '../../runtime/report/bundle-diff';
import { toText } from '../../runtime/report/sentence';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import {
  ecKeyPair,
  inTotoStatement,
  keyBundleV03,
  keyLegacyLayer,
  manifestBytes,
  messageBundleV03,
  pushBundleReferrer,
  pushImage,
  pushLegacySignatures,
  randomRepo,
  simpleSigningPayload,
} from '../helpers/cosign';
import { startBlackHole } from '../helpers/faulty-registry';
import { newApp, synthError } from '../constructs/helpers';
import { clone, findPolicy, paymentsBundle, publicKeyPem } from '../cli/fixtures/payments-bundle';
import { startProxy } from './proxy';
import { bundleWith, keySet, policyWith, verifyRule } from './fixtures';

const available = registryAvailable();
if (!available) registrySkipNotice();

describe('repository: parsing and the registry gate (pure)', () => {
  it('needs an explicit registry host, no tag or digest, and a host from registries', () => {
    expect(parseRepository('registry.example.com/sigs/app')).toEqual({ registry: 'registry.example.com', repository: 'sigs/app' });
    expect(parseRepository('127.0.0.1:5000/sigs')).toEqual({ registry: '127.0.0.1:5000', repository: 'sigs' });
    expect(parseRepository('sigs/app')).toMatch(/does not start with a registry host/);
    expect(parseRepository('registry.example.com/sigs:v1')).toMatch(/carries a tag or digest/);
    expect(parseRepository('registry.example.com/Sigs')).toMatch(/not a valid repository name/);
    const registries = [{ host: 'registry.example.com' }];
    expect(repositoryProblem('registry.example.com/sigs/app', registries)).toBeUndefined();
    expect(repositoryProblem('evil.example.net/sigs/app', registries)).toBe(
      'repository "evil.example.net/sigs/app" is on registry "evil.example.net", which is not in the rule\'s registries (allowed: registry.example.com)',
    );
  });

  it('synth refuses a repository whose host is not in registries, naming the construct and a fix', () => {
    const key = ecKeyPair().publicKeyPem;
    const app = newApp();
    const policy = new Policy(app, 'signed-images', { mode: 'Enforce' });
    new VerifyImages(policy, 'signed', {
      imageReferences: ['registry.example.com/team/**'],
      attestors: [{ entries: [keyAttestor('release', key)] }],
      registries: [{ host: 'registry.example.com' }],
      repository: 'attacker.example.net/sigs/app',
    });
    const err = synthError(() => app.build());
    const hit = err.problems.find((p) => p.path === 'signed-images/signed' && /repository "attacker\.example\.net\/sigs\/app" is on registry "attacker\.example\.net"/.test(p.message));
    expect(hit?.message).toMatch(/Fix: /);

    const ok = newApp();
    const good = new Policy(ok, 'signed-images', { mode: 'Enforce' });
    new VerifyImages(good, 'signed', {
      imageReferences: ['registry.example.com/team/**'],
      attestors: [{ entries: [keyAttestor('release', key)] }],
      registries: [{ host: 'registry.example.com' }, { host: 'sigs.example.com' }],
      repository: 'sigs.example.com/team/signatures',
    });
    const rule = ok.build().bundle.policies[0].rules[0];
    expect(rule.type === 'verifyImages' && rule.repository).toBe('sigs.example.com/team/signatures');
  });

  it('portcullis diff says where signatures are read from', () => {
    const before = paymentsBundle({ ciKey: publicKeyPem() });
    const after = clone(before);
    for (const r of findPolicy(after, 'signed-images').rules) {
      if (r.type === 'verifyImages') r.repository = 'registry.payments.example.com/signatures/all';
    }
    const d = diffBundles(before, validateBundle(after).bundle, { now: new Date('2026-11-23T12:00:00Z') });
    expect(d.changes.map((c) => `${c.direction}: ${toText(c.sentence)}`)).toEqual([
      'neutral: Rule "signed-images/verify-signatures" now reads signatures from "registry.payments.example.com/signatures/all" instead of next to each image: signatures stored only in the old place no longer count.',
    ]);
  });
});

describe.skipIf(!available)('repository: signatures stored in another repository (real registry)', () => {
  let reg: RunningRegistry;
  let second: RunningRegistry;
  const signer = ecKeyPair();
  const attestors = [keySet({ name: 'ci', publicKeyPem: signer.publicKeyPem })];

  beforeAll(async () => {
    reg = await startRegistry();
    second = await startRegistry();
  });
  afterAll(async () => {
    await reg?.destroy();
    await second?.destroy();
  });

  it('legacy .sig, DSSE bundle and message-signature bundle stored elsewhere verify; next to the image they are not found', async () => {
    const repo = randomRepo('app');
    const sigRepo = randomRepo('signatures');
    const legacy = await pushImage(reg.url, repo, 'legacy', `${repo}-legacy`);
    await pushLegacySignatures(reg.url, sigRepo, legacy.digest, [keyLegacyLayer(signer.privateKey, simpleSigningPayload(`${reg.host}/${repo}`, legacy.digest))]);
    const dsse = await pushImage(reg.url, repo, 'dsse', `${repo}-dsse`);
    await pushBundleReferrer(reg.url, sigRepo, dsse, keyBundleV03(undefined, signer.privateKey, signer.publicKeyPem, inTotoStatement(dsse.digest, `${reg.host}/${repo}`)));
    const message = await pushImage(reg.url, repo, 'message', `${repo}-message`);
    const bytes = await manifestBytes(reg.url, repo, message.digest);
    await pushBundleReferrer(reg.url, sigRepo, message, messageBundleV03(undefined, signer.privateKey, signer.publicKeyPem, { publicKey: { hint: 'k' } }, bytes));

    const registries = [{ host: reg.host, insecure: true }];
    const elsewhere = verifyRule(registries, attestors, { repository: `${reg.host}/${sigRepo}` });
    const beside = verifyRule(registries, attestors);
    const v = createImageVerifier();
    try {
      for (const img of [legacy, dsse, message]) {
        const image = `${reg.host}/${repo}@${img.digest}`;
        expect(await v.verify(image, elsewhere)).toMatchObject({ verified: true, digest: img.digest });
        const unsigned = await v.verify(image, beside);
        expect(unsigned.verified).toBe(false);
        expect(unsigned.reason).toContain(`no signatures found for ${img.digest}`);
      }
    } finally {
      v.close();
    }
  });

  it('a repository on a second allowed registry: both hosts in registries, verified; a cached verdict is per repository', async () => {
    const repo = randomRepo('app');
    const img = await pushImage(reg.url, repo, 'v1', `${repo}-v1`);
    await pushLegacySignatures(second.url, 'team/signatures', img.digest, [keyLegacyLayer(signer.privateKey, simpleSigningPayload(`${reg.host}/${repo}`, img.digest))]);
    const registries = [{ host: reg.host, insecure: true }, { host: second.host, insecure: true }];
    const v = createImageVerifier();
    try {
      const image = `${reg.host}/${repo}:v1`;
      expect((await v.verify(image, verifyRule(registries, attestors, { repository: `${second.host}/team/signatures` }))).verified).toBe(true);
      // Same image and attestors, another repository: not served from the first verdict.
      const other = await v.verify(image, verifyRule(registries, attestors, { repository: `${second.host}/team/elsewhere` }));
      expect(other.verified).toBe(false);
    } finally {
      v.close();
    }
  });

  it('a repository on a host the rule does not name is refused with zero connections, through the rule as a finding', async () => {
    const attacker = await startBlackHole();
    const proxy = await startProxy(reg.port);
    const repo = randomRepo('app');
    const img = await pushImage(reg.url, repo, 'v1', `${repo}-v1`);
    // Only the image's registry (through a counting proxy) is allowed; the repository points elsewhere.
    const rule = verifyRule([{ host: proxy.host, insecure: true }], attestors, { repository: `${attacker.host}/loot/signatures` });
    const v = createImageVerifier();
    try {
      for (const image of [`${proxy.host}/${repo}:v1`, `${proxy.host}/${repo}@${img.digest}`]) {
        const err = await v.verify(image, rule).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RegistryNotAllowedError);
        expect((err as Error).message).toBe(
          `signature repository "${attacker.host}/loot/signatures": registry "${attacker.host}" is not configured for this rule (allowed: ${proxy.host}); it was not contacted`,
        );
      }
      const pod = {
        uid: 'uid-1',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        operation: 'CREATE' as const,
        namespace: 'apps',
        name: 'web',
        object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'apps' }, spec: { containers: [{ name: 'app', image: `${proxy.host}/${repo}@${img.digest}` }] } },
      };
      const decision = await evaluate('validate', pod, bundleWith([policyWith(rule)]).policies, { now: new Date(), images: v });
      expect(decision.allowed).toBe(false);
      expect(decision.violations[0]?.message).toContain(`signature repository "${attacker.host}/loot/signatures"`);
      await new Promise((r) => setTimeout(r, 100));
      expect(attacker.connections).toBe(0);
      expect(proxy.log).toEqual([]);
    } finally {
      v.close();
      await attacker.close();
      await proxy.close();
    }
  });
});

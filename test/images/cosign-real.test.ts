/**
 * Every format the verifier claims, on the exact bytes the real `cosign` CLI wrote
 * (test/conformance/cosign-real, copied unchanged with its README, SHA256SUMS and per-vector
 * PROVENANCE files giving source repository, commit and licence): key-based legacy (plain,
 * KMS, with a Rekor SET), keyless legacy (e-mail, GitHub Actions, Google service account, with
 * public-good Fulcio/Rekor/CT), and a Sigstore bundle v0.3 (DSSE). Each is checked twice: served
 * from the real registry through the full discovery path, and directly on the parsed candidates.
 * Negative variants: flipped bytes, wrong key, wrong identity (including prefixes that an
 * unanchored regex would accept).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Attestor, VerifyImagesRule } from '../../runtime/bundle';
import {
  COSIGN_SIGN_PREDICATE,
  createImageVerifier,
  TrustRoots,
  verifyAttestorSets,
  type AttestorContext,
  type LegacySignature,
  type SignatureCandidate,
} from '../../runtime/images';
import { parseRekorBundle } from '../../runtime/images/signatures';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import { pushBlob, pushBundleReferrer, pushLegacySignatures, pushManifest, sha256 } from '../helpers/cosign';
import { verifyRule } from './fixtures';

const VECTORS = resolve(__dirname, '../conformance/cosign-real');
const read = (p: string): Buffer => readFileSync(resolve(VECTORS, p));
const text = (p: string): string => read(p).toString('utf8');
const ATTESTATION_PREDICATE = 'https://cosign.sigstore.dev/attestation/v1';
const PGI_ROOT = JSON.parse(text('trust/trusted_root_pgi.cosign-testdata.json')) as unknown;

interface LegacyVector {
  dir: string;
  payload: string;
  digest: string;
  attestor: Attestor;
  /** Attestors that must NOT verify this vector. */
  negatives: { what: string; attestor: Attestor }[];
}

function annotations(dir: string): Record<string, string> {
  try {
    return JSON.parse(text(`${dir}/annotations.json`)) as Record<string, string>;
  } catch {
    // keyless-legacy-email-2022 publishes the values as separate files only.
    return {
      'dev.cosignproject.cosign/signature': text(`${dir}/signature.b64`),
      'dev.sigstore.cosign/certificate': text(`${dir}/certificate.pem`),
      'dev.sigstore.cosign/chain': text(`${dir}/chain.pem`),
      'dev.sigstore.cosign/bundle': text(`${dir}/bundle.json`),
    };
  }
}

function legacyCandidate(v: LegacyVector, mutate?: (c: LegacySignature) => void): LegacySignature {
  const ann = annotations(v.dir);
  const c: LegacySignature = { format: 'legacy', source: v.dir, payload: read(`${v.dir}/${v.payload}`), signature: ann['dev.cosignproject.cosign/signature'] };
  if (ann['dev.sigstore.cosign/certificate']) c.certificatePem = ann['dev.sigstore.cosign/certificate'];
  if (ann['dev.sigstore.cosign/chain']) c.chainPem = ann['dev.sigstore.cosign/chain'];
  const rekor = parseRekorBundle(ann['dev.sigstore.cosign/bundle']);
  if (rekor) c.rekorBundle = rekor;
  mutate?.(c);
  return c;
}

function flipByte(buf: Buffer, at = Math.floor(buf.length / 2)): Buffer {
  const out = Buffer.from(buf);
  out[at] = out[at] ^ 0x01;
  return out;
}

const EMAIL = { subject: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' };
const GHA_SUBJECT = 'https://github.com/salrashid123/go-bazel-github-workflow/.github/workflows/release.yaml@refs/tags/v0.0.30';
const GHA_ISSUER = 'https://token.actions.githubusercontent.com';
const GSA = { subject: 'cosign-svc-account@mineral-minutia-820.iam.gserviceaccount.com', issuer: 'https://accounts.google.com' };

const keyless = (name: string, identities: { subject?: string; subjectRegExp?: string; issuer?: string; issuerRegExp?: string }[], trustedRoot?: string): Attestor => ({
  type: 'keyless',
  name,
  identities,
  ...(trustedRoot ? { trustedRoot } : {}),
});
const key = (name: string, file: string, requireTlog = false): Attestor => ({ type: 'key', name, publicKey: text(file), ...(requireTlog ? { requireTlog } : {}) });

const LEGACY: LegacyVector[] = [
  {
    dir: 'key-legacy-containers-image',
    payload: 'payload.json',
    digest: 'sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00',
    attestor: key('cosign', 'key-legacy-containers-image/cosign.pub'),
    negatives: [{ what: 'another key', attestor: key('cosign2', 'key-legacy-rekor-containers-image/cosign.pub') }],
  },
  {
    dir: 'key-legacy-rekor-containers-image',
    payload: 'payload.json',
    digest: 'sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a',
    attestor: key('cosign2-tlog', 'key-legacy-rekor-containers-image/cosign.pub', true),
    negatives: [{ what: 'another key', attestor: key('cosign', 'key-legacy-containers-image/cosign.pub', true) }],
  },
  {
    dir: 'key-legacy-kms-optional-salrashid123',
    payload: 'reconstructed/payload.json',
    digest: 'sha256:a2b109fb9baea555556561317fdd13cef9c3dfac22c8f8fea0c5a0b06ece9d00',
    attestor: key('kms', 'key-legacy-kms-optional-salrashid123/kms_pub.pem'),
    negatives: [{ what: 'another key', attestor: key('cosign', 'key-legacy-containers-image/cosign.pub') }],
  },
  {
    dir: 'keyless-legacy-email-containers-image',
    payload: 'payload.json',
    digest: 'sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a',
    attestor: keyless('email', [EMAIL]),
    negatives: [
      { what: 'another subject', attestor: keyless('other', [{ subject: 'someone@else.example', issuer: EMAIL.issuer }]) },
      { what: 'a regex that only an unanchored match would accept', attestor: keyless('prefix', [{ subjectRegExp: 'mitr@redhat\\.co', issuer: EMAIL.issuer }]) },
      { what: 'another issuer', attestor: keyless('issuer', [{ subject: EMAIL.subject, issuer: 'https://accounts.google.com' }]) },
    ],
  },
  {
    dir: 'keyless-legacy-email-2022-containers-image',
    payload: 'payload.json',
    digest: 'sha256:fa93b01658e3a5a1686dc3ae55f170d8de487006fb53a28efcd12ab0710a2e5f',
    attestor: keyless('email-pgi', [EMAIL], 'pgi'),
    negatives: [{ what: 'another subject', attestor: keyless('other', [{ subject: 'mitr@redhat.com.evil.io', issuer: EMAIL.issuer }], 'pgi') }],
  },
  {
    dir: 'keyless-legacy-github-actions-salrashid123',
    payload: 'reconstructed/payload.json',
    digest: 'sha256:c05263d2ff654c3a94243662440913f045075d59c436e2c69e9145ec2b87a321',
    attestor: keyless('gha', [{ subjectRegExp: 'https://github\\.com/salrashid123/go-bazel-github-workflow/\\.github/workflows/release\\.yaml@refs/tags/v[0-9.]+', issuer: GHA_ISSUER }]),
    negatives: [
      { what: 'a shorter tag (unanchored prefix)', attestor: keyless('prefix', [{ subjectRegExp: 'https://github\\.com/salrashid123/go-bazel-github-workflow/\\.github/workflows/release\\.yaml@refs/tags/v0\\.0\\.3', issuer: GHA_ISSUER }]) },
      { what: 'exact subject of a branch', attestor: keyless('branch', [{ subject: GHA_SUBJECT.replace('refs/tags/v0.0.30', 'refs/heads/main'), issuer: GHA_ISSUER }]) },
    ],
  },
  {
    dir: 'keyless-legacy-google-sa-salrashid123',
    payload: 'reconstructed/payload.json',
    digest: 'sha256:a2b109fb9baea555556561317fdd13cef9c3dfac22c8f8fea0c5a0b06ece9d00',
    attestor: keyless('gsa', [GSA]),
    negatives: [{ what: 'a GitHub identity', attestor: keyless('gha', [{ subject: GHA_SUBJECT, issuer: GHA_ISSUER }]) }],
  },
];

const ctx = (acceptedPredicateTypes: readonly string[] = [COSIGN_SIGN_PREDICATE]): AttestorContext => ({
  roots: new TrustRoots({ pgi: PGI_ROOT }),
  acceptedPredicateTypes,
});
const verdict = (attestor: Attestor, candidates: SignatureCandidate[], digest: string, c = ctx()) =>
  verifyAttestorSets([{ entries: [attestor] }], candidates, digest, c);

describe('real cosign vectors, verified on the parsed candidates', () => {
  it('the image bytes published with the vectors hash to the signed digests', () => {
    expect(sha256(read('key-legacy-containers-image/manifest.json'))).toBe(LEGACY[0].digest);
    expect(sha256(read('key-legacy-rekor-containers-image/manifest.json'))).toBe(LEGACY[1].digest);
    expect(sha256(read('keyless-legacy-github-actions-salrashid123/reconstructed/image-index.json'))).toBe(LEGACY[5].digest);
  });

  for (const v of LEGACY) {
    describe(v.dir, () => {
      it('verifies', () => {
        expect(verdict(v.attestor, [legacyCandidate(v)], v.digest)).toEqual({ verified: true });
      });
      it('fails with a flipped payload byte', () => {
        const r = verdict(v.attestor, [legacyCandidate(v, (c) => (c.payload = flipByte(c.payload, c.payload.length - 3)))], v.digest);
        expect(r.verified).toBe(false);
      });
      it('fails with a flipped signature byte', () => {
        const r = verdict(v.attestor, [legacyCandidate(v, (c) => (c.signature = flipByte(Buffer.from(c.signature, 'base64'), 12).toString('base64')))], v.digest);
        expect(r.verified).toBe(false);
      });
      it('fails for another image digest (signature copied)', () => {
        const r = verdict(v.attestor, [legacyCandidate(v)], `sha256:${'0'.repeat(64)}`);
        expect(r).toMatchObject({ verified: false });
        expect(r.reason).toContain('signature is for');
      });
      for (const n of v.negatives) {
        it(`fails for ${n.what}`, () => {
          expect(verdict(n.attestor, [legacyCandidate(v)], v.digest).verified).toBe(false);
        });
      }
    });
  }

  it('keyless: a flipped certificate byte breaks the chain', () => {
    const v = LEGACY[3];
    const der = Buffer.from(text(`${v.dir}/certificate.pem`).replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
    const flipped = flipByte(der, der.length - 20).toString('base64');
    const pem = `-----BEGIN CERTIFICATE-----\n${flipped.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
    expect(verdict(v.attestor, [legacyCandidate(v, (c) => (c.certificatePem = pem))], v.digest).verified).toBe(false);
  });

  it('key + requireTlog: a flipped SET byte fails; without the Rekor bundle it fails', () => {
    const v = LEGACY[1];
    const badSet = legacyCandidate(v, (c) => {
      c.rekorBundle = { ...c.rekorBundle!, SignedEntryTimestamp: flipByte(Buffer.from(c.rekorBundle!.SignedEntryTimestamp, 'base64'), 20).toString('base64') };
    });
    expect(verdict(v.attestor, [badSet], v.digest).verified).toBe(false);
    const none = legacyCandidate(v, (c) => delete c.rekorBundle);
    expect(verdict(v.attestor, [none], v.digest).reason).toContain('no transparency-log entry');
  });

  describe('bundle-v0.3-dsse-cosign-attest', () => {
    const bundle = JSON.parse(text('bundle-v0.3-dsse-cosign-attest/oci-attestation.sigstore.json')) as unknown;
    const digest = sha256(read('bundle-v0.3-dsse-cosign-attest/reconstructed/image-manifest.json'));
    const attestor = keyless('cody', [{ subject: 'cody@soyland.com', issuer: 'https://github.com/login/oauth' }]);
    const candidate: SignatureCandidate = { format: 'bundle', source: 'vector', bundle };

    it('verifies when its predicate type is accepted (public-good and cosign test roots)', () => {
      expect(verdict(attestor, [candidate], digest, ctx([ATTESTATION_PREDICATE]))).toEqual({ verified: true });
      expect(verdict({ ...attestor, trustedRoot: 'pgi' }, [candidate], digest, ctx([ATTESTATION_PREDICATE]))).toEqual({ verified: true });
    });
    it('an attestation is not an image signature by default', () => {
      const r = verdict(attestor, [candidate], digest);
      expect(r.verified).toBe(false);
      expect(r.reason).toContain('is not accepted as an image signature');
    });
    it('fails for another digest, another identity, or a flipped payload byte', () => {
      expect(verdict(attestor, [candidate], `sha256:${'1'.repeat(64)}`, ctx([ATTESTATION_PREDICATE])).verified).toBe(false);
      const prefix = keyless('prefix', [{ subjectRegExp: 'cody@soyland\\.co', issuer: 'https://github.com/login/oauth' }]);
      expect(verdict(prefix, [candidate], digest, ctx([ATTESTATION_PREDICATE])).verified).toBe(false);
      const tampered = JSON.parse(JSON.stringify(bundle)) as { dsseEnvelope: { payload: string } };
      tampered.dsseEnvelope.payload = flipByte(Buffer.from(tampered.dsseEnvelope.payload, 'base64'), 40).toString('base64');
      expect(verdict(attestor, [{ format: 'bundle', source: 'tampered', bundle: tampered }], digest, ctx([ATTESTATION_PREDICATE])).verified).toBe(false);
    });
  });
});

const available = registryAvailable();
if (!available) registrySkipNotice();

describe.skipIf(!available)('real cosign vectors, served from the real registry', () => {
  let reg: RunningRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.destroy();
  });

  const rule = (attestor: Attestor): VerifyImagesRule => verifyRule([{ host: reg.host, insecure: true }], [{ entries: [attestor] }]);

  it('every legacy vector verifies through .sig discovery with its exact payload and annotation bytes', async () => {
    const v = createImageVerifier({ trustedRoots: { pgi: PGI_ROOT } });
    try {
      for (const [i, vec] of LEGACY.entries()) {
        const repo = `vectors/v${i}`;
        await pushLegacySignatures(reg.url, repo, vec.digest, [{ payload: read(`${vec.dir}/${vec.payload}`), annotations: annotations(vec.dir) }]);
        const image = `${reg.host}/${repo}@${vec.digest}`;
        expect(await v.verify(image, rule(vec.attestor)), vec.dir).toMatchObject({ verified: true, digest: vec.digest });
        for (const n of vec.negatives) {
          expect((await v.verify(image, rule(n.attestor))).verified, `${vec.dir}: ${n.what}`).toBe(false);
        }
      }
    } finally {
      v.close();
    }
  });

  it('the KMS and Google-SA signatures share one two-layer .sig manifest; each attestor finds its layer', async () => {
    const kms = LEGACY[2];
    const gsa = LEGACY[6];
    const repo = 'vectors/two-layer';
    await pushLegacySignatures(reg.url, repo, kms.digest, [
      { payload: read(`${kms.dir}/${kms.payload}`), annotations: annotations(kms.dir) },
      { payload: read(`${gsa.dir}/${gsa.payload}`), annotations: annotations(gsa.dir) },
    ]);
    const v = createImageVerifier();
    try {
      const image = `${reg.host}/${repo}@${kms.digest}`;
      const both = verifyRule([{ host: reg.host, insecure: true }], [{ entries: [kms.attestor] }, { entries: [gsa.attestor] }]);
      expect((await v.verify(image, both)).verified).toBe(true);
    } finally {
      v.close();
    }
  });

  it('the v0.3 bundle verifies as an OCI 1.1 referrer of the reconstructed image, resolved from a tag', async () => {
    const repo = 'vectors/bundle';
    const config = read('bundle-v0.3-dsse-cosign-attest/reconstructed/image-config.json');
    const manifest = read('bundle-v0.3-dsse-cosign-attest/reconstructed/image-manifest.json');
    await pushBlob(reg.url, repo, config);
    const img = await pushManifest(reg.url, repo, 'attested', manifest, 'application/vnd.docker.distribution.manifest.v2+json');
    await pushBundleReferrer(reg.url, repo, img, JSON.parse(text('bundle-v0.3-dsse-cosign-attest/oci-attestation.sigstore.json')) as object);
    const v = createImageVerifier({ acceptedPredicateTypes: [ATTESTATION_PREDICATE] });
    try {
      const attestor = keyless('cody', [{ subject: 'cody@soyland.com', issuer: 'https://github.com/login/oauth' }]);
      expect(await v.verify(`${reg.host}/${repo}:attested`, rule(attestor))).toMatchObject({ verified: true, digest: img.digest });
      const wrong = keyless('wrong', [{ subject: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' }]);
      expect((await v.verify(`${reg.host}/${repo}:attested`, rule(wrong))).verified).toBe(false);
    } finally {
      v.close();
    }
  });
});

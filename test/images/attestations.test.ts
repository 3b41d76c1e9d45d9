/**
 * verifyAttestations against the REAL registry: legacy `.att` attestations (DSSE layers, key and
 * keyless with a Rekor `intoto` entry) and Sigstore DSSE bundle referrers (hand-built, and built by
 * sigstore-js' DSSEBundleBuilder), with typed conditions — valid provenance (SLSA v1 and v0.2),
 * wrong builder, wrong source ref, a statement for another digest, an expired scan, severities and
 * counts over the limit, an untrusted signer, a missing attestation, SBOM / custom presence,
 * attestor counts, the cache bounded by maxAge, attestations in another repository — and the rule
 * through the engine (Enforce denies, Audit warns, exemptions by image).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, sign } from 'node:crypto';
import { bundleToJSON } from '@sigstore/bundle';
import { DSSEBundleBuilder, type Signer, type Witness } from '@sigstore/sign';
import type { AttestationRequirement, KeylessAttestor } from '../../runtime/bundle';
import { evaluate } from '../../runtime/engine/evaluate';
import type { AdmissionInput } from '../../runtime/engine/types';
import { createImageVerifier, RegistryNotAllowedError, type ClosableImageVerifier } from '../../runtime/images';
import { customAttestation, sbom, slsaProvenance, vulnerabilityScan } from '../../constructs';
import { Duration } from 'cdk8s';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import {
  ecKeyPair,
  keyBundleV03,
  keylessBundleV03,
  pushBundleReferrer,
  pushImage,
  randomRepo,
  TestFulcio,
  TestTransparencyLog,
  trustedRootJson,
  type Pushed,
} from '../helpers/cosign';
import {
  CYCLONEDX,
  keyAttestationLayer,
  keylessAttestationLayer,
  provenanceV02,
  provenanceV1,
  pushLegacyAttestations,
  SLSA_V02,
  SLSA_V1,
  SPDX,
  statement,
  trivyScan,
  VULN_V1,
  type AttestationLayer,
} from '../helpers/attestations';
import { startBlackHole } from '../helpers/faulty-registry';
import { attestationsRule, bundleWith, keySet, policyWith } from './fixtures';

const available = registryAvailable();
if (!available) registrySkipNotice();

const BUILDER = 'https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main';
const SOURCE = 'https://github.com/acme/app';
const MAIN = 'refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const HOUR = 3600 * 1000;

function podInput(image: string): AdmissionInput {
  return {
    uid: 'uid-1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    operation: 'CREATE',
    namespace: 'apps',
    name: 'web',
    object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'apps' }, spec: { containers: [{ name: 'app', image }] } },
  };
}

describe.skipIf(!available)('attestations on a real registry', () => {
  let reg: RunningRegistry;
  let verifier: ClosableImageVerifier;
  let fulcio: TestFulcio;
  let log: TestTransparencyLog;
  const ci = ecKeyPair();
  const scanner = ecKeyPair();
  const rogue = ecKeyPair();

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

  const registries = () => [{ host: reg.host, insecure: true }];
  const provenance = (o: Partial<Parameters<typeof slsaProvenance>[1]> = {}): AttestationRequirement =>
    slsaProvenance('build', { attestors: [keySet({ name: 'ci', publicKeyPem: ci.publicKeyPem })], builderId: BUILDER, sourceRepository: SOURCE, sourceRef: MAIN, ...o });
  const scan = (o: Partial<Parameters<typeof vulnerabilityScan>[1]> = {}): AttestationRequirement =>
    vulnerabilityScan('scan', { attestors: [keySet({ name: 'scanner', publicKeyPem: scanner.publicKeyPem })], maxAge: Duration.hours(24), maxSeverity: 'HIGH', ...o });
  const rule = (...reqs: AttestationRequirement[]) => attestationsRule(registries(), reqs);

  /** A fresh image whose `.att` holds the layers `make` builds for its digest. */
  async function attested(make: (digest: string, name: string) => AttestationLayer[]): Promise<{ image: string; img: Pushed; repo: string }> {
    const repo = randomRepo('att');
    const img = await pushImage(reg.url, repo, 'v1', `${repo}-v1`);
    const layers = make(img.digest, `${reg.host}/${repo}`);
    if (layers.length > 0) await pushLegacyAttestations(reg.url, repo, img.digest, layers);
    return { image: `${reg.host}/${repo}@${img.digest}`, img, repo };
  }
  const v1 = (digest: string, name: string, o: Partial<Parameters<typeof provenanceV1>[0]> = {}) =>
    statement(digest, name, SLSA_V1, provenanceV1({ builderId: BUILDER, repository: SOURCE, ref: MAIN, ...o }));

  it('valid SLSA v1 and v0.2 provenance (legacy .att, key) verify', async () => {
    const a = await attested((d, n) => [keyAttestationLayer(ci.privateKey, v1(d, n))]);
    expect(await verifier.verifyAttestations(a.image, rule(provenance()))).toMatchObject({ verified: true, digest: a.img.digest });
    const b = await attested((d, n) => [keyAttestationLayer(ci.privateKey, statement(d, n, SLSA_V02, provenanceV02({ builderId: BUILDER, repository: SOURCE, ref: MAIN })))]);
    expect((await verifier.verifyAttestations(b.image, rule(provenance()))).verified).toBe(true);
    // A rule that accepts v1 only does not count the v0.2 statement.
    const onlyV1 = await verifier.verifyAttestations(b.image, rule(provenance({ versions: ['v1'] })));
    expect(onlyV1.reason).toBe(`attestation "build": no provenance attestation (${SLSA_V1}) found for ${b.img.digest}`);
  });

  it('wrong builder: the message names the value found and the one required', async () => {
    const evil = 'https://github.com/evil/ci/.github/workflows/build.yml@refs/heads/main';
    const a = await attested((d, n) => [keyAttestationLayer(ci.privateKey, v1(d, n, { builderId: evil }))]);
    const verdict = await verifier.verifyAttestations(a.image, rule(provenance()));
    expect(verdict.verified).toBe(false);
    // One signer: the failed condition first, then which requirement and attestor.
    expect(verdict.reason).toBe(`provenance builder.id ${evil} is not ${BUILDER} (attestation "build", key attestor "ci")`);
  });

  it('wrong source ref, exact and by anchored pattern; the v0.2 source is read from configSource', async () => {
    const a = await attested((d, n) => [keyAttestationLayer(ci.privateKey, v1(d, n, { ref: 'refs/heads/main-unreviewed' }))]);
    expect((await verifier.verifyAttestations(a.image, rule(provenance()))).reason).toContain('provenance source ref refs/heads/main-unreviewed is not refs/heads/main');
    const pattern = await verifier.verifyAttestations(a.image, rule(provenance({ sourceRef: { pattern: 'refs/(heads/main|tags/v[0-9]+)' } })));
    expect(pattern.reason).toContain('provenance source ref refs/heads/main-unreviewed does not match ^(?:refs/(heads/main|tags/v[0-9]+))$');
    const tag = await attested((d, n) => [keyAttestationLayer(ci.privateKey, statement(d, n, SLSA_V02, provenanceV02({ builderId: BUILDER, repository: SOURCE, ref: 'refs/tags/v12' })))]);
    expect((await verifier.verifyAttestations(tag.image, rule(provenance({ sourceRef: { pattern: 'refs/(heads/main|tags/v[0-9]+)' } })))).verified).toBe(true);
    const fork = await attested((d, n) => [keyAttestationLayer(ci.privateKey, v1(d, n, { repository: 'https://github.com/acme/app-fork' }))]);
    expect((await verifier.verifyAttestations(fork.image, rule(provenance()))).reason).toContain(`provenance source repository https://github.com/acme/app-fork is not ${SOURCE}`);
  });

  it('a statement for another digest is reported as such, naming both digests', async () => {
    const other = await pushImage(reg.url, randomRepo('other'), 'v1', 'other-image');
    const a = await attested((_d, n) => [keyAttestationLayer(ci.privateKey, v1(other.digest, `${n}-other`))]);
    const verdict = await verifier.verifyAttestations(a.image, rule(provenance()));
    expect(verdict.verified).toBe(false);
    expect(verdict.reason).toContain(`${SLSA_V1} statement is for ${other.digest} (${a.image.split('@')[0]}-other), not ${a.img.digest}`);
  });

  it('vulnerability scans: expired, fresh, severity and count limits, and an old clean scan cannot hide a new one', async () => {
    const old = new Date(Date.now() - 48 * HOUR).toISOString();
    const fresh = new Date(Date.now() - HOUR).toISOString();
    const vuln = (d: string, n: string, findings: { id: string; severity: string }[], at: string) =>
      keyAttestationLayer(scanner.privateKey, statement(d, n, VULN_V1, trivyScan(findings, at)));

    const expired = await attested((d, n) => [vuln(d, n, [], old)]);
    const e = await verifier.verifyAttestations(expired.image, rule(scan()));
    expect(e.reason).toContain(`vulnerability scan scanFinishedOn ${old} is 48h old, older than maxAge 24h`);

    const critical = await attested((d, n) => [vuln(d, n, [{ id: 'CVE-2024-0001', severity: 'CRITICAL' }, { id: 'CVE-2024-0002', severity: 'HIGH' }], fresh)]);
    expect((await verifier.verifyAttestations(critical.image, rule(scan()))).reason).toContain(
      `vulnerability scan of ${fresh} reports 1 CRITICAL finding (CVE-2024-0001), above maxSeverity HIGH`,
    );
    const counted = await verifier.verifyAttestations(critical.image, rule(scan({ maxSeverity: undefined, maxCountBySeverity: { CRITICAL: 1, HIGH: 0 } })));
    expect(counted.reason).toContain(`vulnerability scan of ${fresh} reports 1 HIGH findings (CVE-2024-0002), more than maxCountBySeverity.HIGH 0`);
    expect((await verifier.verifyAttestations(critical.image, rule(scan({ maxSeverity: undefined, maxCountBySeverity: { CRITICAL: 1, HIGH: 1 } })))).verified).toBe(true);

    // A stale dirty scan is ignored once a fresh clean one exists; a stale clean one never hides a fresh dirty one.
    const rescanned = await attested((d, n) => [vuln(d, n, [{ id: 'CVE-2024-0001', severity: 'CRITICAL' }], old), vuln(d, n, [], fresh)]);
    expect((await verifier.verifyAttestations(rescanned.image, rule(scan()))).verified).toBe(true);
    const regressed = await attested((d, n) => [vuln(d, n, [], new Date(Date.now() - 2 * HOUR).toISOString()), vuln(d, n, [{ id: 'CVE-2024-0009', severity: 'CRITICAL' }], fresh)]);
    expect((await verifier.verifyAttestations(regressed.image, rule(scan()))).reason).toContain('reports 1 CRITICAL finding (CVE-2024-0009)');
  });

  it('an attestation signed by an untrusted key does not count', async () => {
    const a = await attested((d, n) => [keyAttestationLayer(rogue.privateKey, v1(d, n))]);
    const verdict = await verifier.verifyAttestations(a.image, rule(provenance()));
    expect(verdict.verified).toBe(false);
    expect(verdict.reason).toMatch(/^no provenance attestation verifies \(sigstore verification failed: .*\) \(attestation "build", key attestor "ci"\)$/);
  });

  it('a missing attestation, and an image that only has attestations of another type', async () => {
    const none = await attested(() => []);
    expect((await verifier.verifyAttestations(none.image, rule(provenance()))).reason).toBe(
      `attestation "build": no provenance attestation (${SLSA_V02}, ${SLSA_V1}) found for ${none.img.digest}`,
    );
    const scanned = await attested((d, n) => [keyAttestationLayer(scanner.privateKey, statement(d, n, VULN_V1, trivyScan([])))]);
    const both = await verifier.verifyAttestations(scanned.image, rule(provenance(), scan()));
    expect(both.reason).toBe(`attestation "build": no provenance attestation (${SLSA_V02}, ${SLSA_V1}) found for ${scanned.img.digest}`);
  });

  it('DSSE bundle referrers (key) and keyless attestations (legacy .att with a Rekor intoto entry, bundle referrer): identities enforced', async () => {
    const keyless = (identities: KeylessAttestor['identities']): KeylessAttestor => ({ type: 'keyless', name: 'gha', identities, trustedRoot: 'test', ctlogThreshold: 0 });
    const req = (identities = [{ subject: BUILDER, issuer: ISSUER }]) => slsaProvenance('build', { attestors: [{ entries: [keyless(identities)] }], builderId: BUILDER });

    const repo = randomRepo('bundles');
    const byKey = await pushImage(reg.url, repo, 'key', `${repo}-key`);
    await pushBundleReferrer(reg.url, repo, byKey, keyBundleV03(undefined, ci.privateKey, ci.publicKeyPem, v1(byKey.digest, `${reg.host}/${repo}`)));
    expect((await verifier.verifyAttestations(`${reg.host}/${repo}@${byKey.digest}`, rule(provenance()))).verified).toBe(true);

    const leaf = fulcio.issue({ subject: BUILDER, issuer: ISSUER });
    const legacy = await attested((d, n) => [keylessAttestationLayer(fulcio, log, leaf, v1(d, n))]);
    expect((await verifier.verifyAttestations(legacy.image, rule(req()))).verified).toBe(true);
    const wrongId = await verifier.verifyAttestations(legacy.image, rule(req([{ subject: `${BUILDER}-unreviewed`, issuer: ISSUER }])));
    expect(wrongId.reason).toContain(`certificate identity (subject "${BUILDER}", issuer "${ISSUER}") matches none of the allowed identities`);

    const logOne = new TestTransparencyLog(); // one-leaf inclusion proofs need a fresh log per bundle
    const root = createImageVerifier({ trustedRoots: { test: trustedRootJson(fulcio, logOne) } });
    try {
      const bundled = await pushImage(reg.url, repo, 'keyless', `${repo}-keyless`);
      await pushBundleReferrer(reg.url, repo, bundled, keylessBundleV03(logOne, leaf, v1(bundled.digest, `${reg.host}/${repo}`)));
      expect((await root.verifyAttestations(`${reg.host}/${repo}@${bundled.digest}`, rule(req()))).verified).toBe(true);
    } finally {
      root.close();
    }
  });

  it('bundles built by sigstore-js (DSSEBundleBuilder): key-signed, and keyless with a Rekor witness', async () => {
    const repo = randomRepo('sigstore-js');
    const img = await pushImage(reg.url, repo, 'v1', `${repo}-v1`);
    const keySigner: Signer = {
      sign: (data) => Promise.resolve({ signature: sign('sha256', data, ci.privateKey), key: { $case: 'publicKey', publicKey: ci.publicKeyPem, hint: 'ci' } }),
    };
    const keyBundle = await new DSSEBundleBuilder({ signer: keySigner, witnesses: [] }).create({ data: v1(img.digest, `${reg.host}/${repo}`), type: 'application/vnd.in-toto+json' });
    await pushBundleReferrer(reg.url, repo, img, bundleJson(keyBundle));
    expect((await verifier.verifyAttestations(`${reg.host}/${repo}@${img.digest}`, rule(provenance()))).verified).toBe(true);

    const logOne = new TestTransparencyLog();
    const leaf = fulcio.issue({ subject: BUILDER, issuer: ISSUER });
    const certSigner: Signer = {
      sign: (data) => Promise.resolve({ signature: sign('sha256', data, leaf.privateKey), key: { $case: 'x509Certificate', certificate: leaf.certPem } }),
    };
    const keylessImg = await pushImage(reg.url, repo, 'keyless', `${repo}-keyless`);
    const stmt = v1(keylessImg.digest, `${reg.host}/${repo}`);
    const keylessBundle = await new DSSEBundleBuilder({ signer: certSigner, witnesses: [rekorWitness(logOne, stmt, leaf.certPem)] }).create({ data: stmt, type: 'application/vnd.in-toto+json' });
    await pushBundleReferrer(reg.url, repo, keylessImg, bundleJson(keylessBundle));
    const v = createImageVerifier({ trustedRoots: { test: trustedRootJson(fulcio, logOne) } });
    try {
      const req = slsaProvenance('build', {
        attestors: [{ entries: [{ type: 'keyless', name: 'gha', identities: [{ subject: BUILDER, issuer: ISSUER }], trustedRoot: 'test', ctlogThreshold: 0 }] }],
        builderId: BUILDER,
      });
      expect((await v.verifyAttestations(`${reg.host}/${repo}@${keylessImg.digest}`, rule(req))).verified).toBe(true);
    } finally {
      v.close();
    }
  });

  it('SBOM (SPDX or CycloneDX) and custom predicate presence', async () => {
    const key = [keySet({ name: 'ci', publicKeyPem: ci.publicKeyPem })];
    const a = await attested((d, n) => [
      keyAttestationLayer(ci.privateKey, statement(d, n, CYCLONEDX, { bomFormat: 'CycloneDX', metadata: { timestamp: new Date().toISOString() } })),
      keyAttestationLayer(ci.privateKey, statement(d, n, 'https://acme.example/review/v1', { reviewers: 2 })),
    ]);
    expect((await verifier.verifyAttestations(a.image, rule(sbom('sbom', { attestors: key, maxAge: Duration.days(7) })))).verified).toBe(true);
    expect((await verifier.verifyAttestations(a.image, rule(sbom('sbom', { attestors: key, formats: ['spdx'] })))).reason).toContain(`no SBOM attestation (${SPDX}) found`);
    expect((await verifier.verifyAttestations(a.image, rule(customAttestation('review', { attestors: key, predicateType: 'https://acme.example/review/v1' })))).verified).toBe(true);
    expect((await verifier.verifyAttestations(a.image, rule(customAttestation('review', { attestors: key, predicateType: 'https://acme.example/review/v2' })))).verified).toBe(false);
  });

  it('attestor sets and count: 1 of 2 signers suffices, all of 2 does not', async () => {
    const a = await attested((d, n) => [keyAttestationLayer(ci.privateKey, v1(d, n))]);
    const two = { entries: keySet({ name: 'ci', publicKeyPem: ci.publicKeyPem }, { name: 'other', publicKeyPem: rogue.publicKeyPem }).entries };
    expect((await verifier.verifyAttestations(a.image, rule(provenance({ attestors: [{ ...two, count: 1 }] })))).verified).toBe(true);
    const all = await verifier.verifyAttestations(a.image, rule(provenance({ attestors: [two] })));
    expect(all.reason).toContain('attestor set 0: 1 of 2 required attestors verified (key attestor "other": no provenance attestation verifies');
  });

  it('a success is cached no longer than the scan it rests on stays within maxAge; the clock decides', async () => {
    let now = Date.now();
    const v = createImageVerifier({ now: () => new Date(now) });
    try {
      const a = await attested((d, n) => [keyAttestationLayer(scanner.privateKey, statement(d, n, VULN_V1, trivyScan([], new Date(now - 23 * HOUR).toISOString())))]);
      const r = rule(scan());
      expect((await v.verifyAttestations(a.image, r)).verified).toBe(true);
      expect(v.cacheSize).toBe(1);
      now += 2 * HOUR; // the scan is now 25h old: the cached success must not outlive it
      const later = await v.verifyAttestations(a.image, r);
      expect(later.verified).toBe(false);
      expect(later.reason).toContain('older than maxAge 24h');
      expect(v.cacheSize).toBe(0); // failures are not cached (negativeCacheTtlSeconds 0)
    } finally {
      v.close();
    }
  });

  it('repository: attestations stored elsewhere verify; a repository on an unlisted host is refused with zero connections', async () => {
    const repo = randomRepo('app');
    const store = randomRepo('attestations');
    const img = await pushImage(reg.url, repo, 'v1', `${repo}-v1`);
    await pushLegacyAttestations(reg.url, store, img.digest, [keyAttestationLayer(ci.privateKey, v1(img.digest, `${reg.host}/${repo}`))]);
    const image = `${reg.host}/${repo}@${img.digest}`;
    expect((await verifier.verifyAttestations(image, attestationsRule(registries(), [provenance()], { repository: `${reg.host}/${store}` }))).verified).toBe(true);
    expect((await verifier.verifyAttestations(image, rule(provenance()))).verified).toBe(false);

    const hole = await startBlackHole();
    try {
      const err = await verifier.verifyAttestations(image, attestationsRule(registries(), [provenance()], { repository: `${hole.host}/loot` })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryNotAllowedError);
      expect((err as Error).message).toContain(`attestation repository "${hole.host}/loot": registry "${hole.host}" is not configured for this rule`);
      await new Promise((r) => setTimeout(r, 100));
      expect(hole.connections).toBe(0);
    } finally {
      await hole.close();
    }
  });

  it('through the engine: Enforce denies with the condition, Audit admits with a warning, an unlisted host is a finding', async () => {
    const evil = 'https://github.com/evil/ci/.github/workflows/build.yml@refs/heads/main';
    const a = await attested((d, n) => [keyAttestationLayer(ci.privateKey, v1(d, n, { builderId: evil }))]);
    const r = rule(provenance());
    const enforce = await evaluate('validate', podInput(a.image), bundleWith([policyWith(r, 'Enforce')]).policies, { now: new Date(), images: verifier });
    expect(enforce.allowed).toBe(false);
    expect(enforce.violations[0]).toMatchObject({ control: 'verifyAttestations' });
    expect(enforce.violations[0]?.message).toContain(
      `container "app" is not allowed: provenance builder.id ${evil} is not ${BUILDER} (attestation "build", key attestor "ci") (image=${a.image})`,
    );
    const tagged = await evaluate('validate', podInput(`${a.image.split('@')[0]}:v1`), bundleWith([policyWith(r)]).policies, { now: new Date(), images: verifier });
    expect(tagged.violations[0]?.message).toContain(`(image=${a.image.split('@')[0]}:v1, digest ${a.img.digest})`);
    const audit = await evaluate('validate', podInput(a.image), bundleWith([policyWith(r, 'Audit')]).policies, { now: new Date(), images: verifier });
    expect(audit.allowed).toBe(true);
    expect(audit.warnings[0]?.message).toContain('provenance builder.id');
    const good = await attested((d, n) => [keyAttestationLayer(ci.privateKey, v1(d, n))]);
    expect((await evaluate('validate', podInput(good.image), bundleWith([policyWith(r)]).policies, { now: new Date(), images: verifier })).allowed).toBe(true);
    const elsewhere = await evaluate('validate', podInput('registry.evil.example/app:v1'), bundleWith([policyWith({ ...r, imageReferences: ['**'] })]).policies, { now: new Date(), images: verifier });
    expect(elsewhere.violations[0]?.message).toContain('registry "registry.evil.example" is not configured for this rule');
  });
});

/** A sigstore-js Bundle as the JSON a registry stores. */
function bundleJson(bundle: Parameters<typeof bundleToJSON>[0]): Record<string, unknown> {
  return JSON.parse(JSON.stringify(bundleToJSON(bundle))) as Record<string, unknown>;
}

/** A Rekor stand-in for sigstore-js: a `dsse` entry at index 0 with SET and one-leaf inclusion proof. */
function rekorWitness(log: TestTransparencyLog, stmt: Buffer, certPem: string): Witness {
  return {
    testify: (content) => {
      if (content.$case !== 'dsseEnvelope') throw new Error('expected a DSSE envelope');
      const env = content.dsseEnvelope;
      const sig = env.signatures[0].sig.toString('base64');
      const envelopeJson = JSON.stringify({ payload: env.payload.toString('base64'), payloadType: env.payloadType, signatures: [{ sig, keyid: '' }] });
      const body = {
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: {
          envelopeHash: { algorithm: 'sha256', value: createHash('sha256').update(envelopeJson).digest('hex') },
          payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(stmt).digest('hex') },
          signatures: [{ signature: sig, verifier: Buffer.from(certPem).toString('base64') }],
        },
      };
      const integratedTime = Math.floor(Date.now() / 1000);
      const b64 = Buffer.from(JSON.stringify(body)).toString('base64');
      const canonical = `{"body":${JSON.stringify(b64)},"integratedTime":${integratedTime},"logID":"${log.logIdHex}","logIndex":0}`;
      const set = sign('sha256', Buffer.from(canonical), log.privateKey);
      const proof = log.inclusionProof(b64, 0) as { rootHash: string; checkpoint: { envelope: string } };
      return Promise.resolve({
        tlogEntries: [
          {
            logIndex: '0',
            logId: { keyId: Buffer.from(log.logIdHex, 'hex') },
            kindVersion: { kind: 'dsse', version: '0.0.1' },
            integratedTime: String(integratedTime),
            inclusionPromise: { signedEntryTimestamp: set },
            inclusionProof: { logIndex: '0', rootHash: Buffer.from(proof.rootHash, 'base64'), treeSize: '1', hashes: [], checkpoint: proof.checkpoint },
            canonicalizedBody: Buffer.from(JSON.stringify(body)),
          },
        ],
      });
    },
  };
}

/**
 * Test helpers for in-toto attestations in cosign's exact formats, signed at run time:
 * - statements and predicates (SLSA provenance v0.2 / v1, cosign vuln with a Trivy or Grype result,
 *   SPDX / CycloneDX);
 * - DSSE envelopes (PAE-signed) and legacy `.att` manifests: one
 *   `application/vnd.dsse.envelope.v1+json` layer per envelope, with the `predicateType`
 *   annotation and, for keyless, the certificate, chain and Rekor bundle (`intoto` 0.0.2 entry, as
 *   `cosign attest` writes it);
 * - referrer bundles come from cosign.ts (keyBundleV03 / keylessBundleV03 with a statement).
 * No key is ever written into the repository.
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { OCI_CONFIG, OCI_MANIFEST, pushBlob, pushManifest, type Leaf, type Pushed, type TestFulcio, type TestTransparencyLog } from './cosign';

export const DSSE_ENVELOPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO = 'application/vnd.in-toto+json';
export const SLSA_V02 = 'https://slsa.dev/provenance/v0.2';
export const SLSA_V1 = 'https://slsa.dev/provenance/v1';
export const VULN_V1 = 'https://cosign.sigstore.dev/attestation/vuln/v1';
export const SPDX = 'https://spdx.dev/Document';
export const CYCLONEDX = 'https://cyclonedx.org/bom';

export function statement(digest: string, name: string, predicateType: string, predicate: unknown): Buffer {
  return Buffer.from(
    JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name, digest: { sha256: digest.slice(7) } }], predicateType, predicate }),
  );
}

export interface ProvenanceInput {
  builderId: string;
  repository: string;
  ref: string;
  buildType?: string;
  finishedOn?: string;
}

/** SLSA v1 as GitHub's actions/attest-build-provenance writes it. */
export function provenanceV1(p: ProvenanceInput): Record<string, unknown> {
  return {
    buildDefinition: {
      buildType: p.buildType ?? 'https://actions.github.io/buildtypes/workflow/v1',
      externalParameters: { workflow: { ref: p.ref, repository: p.repository, path: '.github/workflows/build.yml' } },
      resolvedDependencies: [{ uri: `git+${p.repository}@${p.ref}`, digest: { gitCommit: 'a'.repeat(40) } }],
    },
    runDetails: { builder: { id: p.builderId }, metadata: { invocationId: 'run-1', finishedOn: p.finishedOn ?? new Date().toISOString() } },
  };
}

/** SLSA v0.2 as slsa-github-generator writes it. */
export function provenanceV02(p: ProvenanceInput): Record<string, unknown> {
  return {
    builder: { id: p.builderId },
    buildType: p.buildType ?? 'https://github.com/slsa-framework/slsa-github-generator/container@v1',
    invocation: { configSource: { uri: `git+${p.repository}@${p.ref}`, digest: { sha1: 'a'.repeat(40) }, entryPoint: '.github/workflows/build.yml' } },
    metadata: { buildFinishedOn: p.finishedOn ?? new Date().toISOString() },
    materials: [{ uri: `git+${p.repository}@${p.ref}` }],
  };
}

/** A cosign vuln predicate around a Trivy report with these findings. */
export function trivyScan(findings: { id: string; severity: string }[], scanFinishedOn = new Date().toISOString()): Record<string, unknown> {
  return {
    invocation: { parameters: null, uri: '', event_id: '', 'builder.id': '' },
    scanner: {
      uri: 'pkg:github/aquasecurity/trivy@0.50.0',
      version: '0.50.0',
      db: { uri: '', version: '' },
      result: {
        SchemaVersion: 2,
        ArtifactName: 'image',
        Results: [{ Target: 'image (debian 12)', Vulnerabilities: findings.map((f) => ({ VulnerabilityID: f.id, Severity: f.severity })) }],
      },
    },
    metadata: { scanStartedOn: scanFinishedOn, scanFinishedOn },
  };
}

export function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `), payload]);
}

export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

export function dsseEnvelope(privateKey: KeyObject, stmt: Buffer): Envelope {
  const sig = sign('sha256', pae(IN_TOTO, stmt), privateKey).toString('base64');
  return { payloadType: IN_TOTO, payload: stmt.toString('base64'), signatures: [{ keyid: '', sig }] };
}

export interface AttestationLayer {
  envelope: Envelope;
  annotations: Record<string, string>;
}

function predicateTypeOf(stmt: Buffer): string {
  return (JSON.parse(stmt.toString('utf8')) as { predicateType: string }).predicateType;
}

/** A key-signed legacy attestation layer (cosign attest --key), optionally with a Rekor entry. */
export function keyAttestationLayer(privateKey: KeyObject, stmt: Buffer, tlog?: { log: TestTransparencyLog; publicKeyPem: string }): AttestationLayer {
  const envelope = dsseEnvelope(privateKey, stmt);
  const annotations: Record<string, string> = { 'dev.cosignproject.cosign/signature': '', predicateType: predicateTypeOf(stmt) };
  if (tlog) annotations['dev.sigstore.cosign/bundle'] = JSON.stringify(intotoEntry(tlog.log, envelope, stmt, tlog.publicKeyPem));
  return { envelope, annotations };
}

/** A keyless legacy attestation layer (certificate, chain, Rekor `intoto` 0.0.2 entry with its SET). */
export function keylessAttestationLayer(fulcio: TestFulcio, log: TestTransparencyLog, leaf: Leaf, stmt: Buffer, integratedTime = Math.floor(Date.now() / 1000)): AttestationLayer {
  const envelope = dsseEnvelope(leaf.privateKey, stmt);
  return {
    envelope,
    annotations: {
      'dev.cosignproject.cosign/signature': '',
      predicateType: predicateTypeOf(stmt),
      'dev.sigstore.cosign/certificate': leaf.certPem,
      'dev.sigstore.cosign/chain': fulcio.rootPem,
      'dev.sigstore.cosign/bundle': JSON.stringify(intotoEntry(log, envelope, stmt, leaf.certPem, integratedTime)),
    },
  };
}

function intotoEntry(log: TestTransparencyLog, envelope: Envelope, stmt: Buffer, verifierPem: string, integratedTime = Math.floor(Date.now() / 1000)) {
  const body = {
    apiVersion: '0.0.2',
    kind: 'intoto',
    spec: {
      content: {
        envelope: {
          payloadType: envelope.payloadType,
          signatures: [{ sig: Buffer.from(envelope.signatures[0].sig).toString('base64'), publicKey: Buffer.from(verifierPem).toString('base64') }],
        },
        hash: { algorithm: 'sha256', value: createHash('sha256').update(JSON.stringify(envelope)).digest('hex') },
        payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(stmt).digest('hex') },
      },
    },
  };
  return log.entry(body, integratedTime);
}

/** Push (or replace) the `sha256-<hex>.att` manifest for `digest` with the given layers. */
export async function pushLegacyAttestations(registryUrl: string, repo: string, digest: string, layers: AttestationLayer[]): Promise<Pushed> {
  const descs = [];
  for (const l of layers) {
    const blob = await pushBlob(registryUrl, repo, Buffer.from(JSON.stringify(l.envelope)));
    descs.push({ mediaType: DSSE_ENVELOPE, digest: blob.digest, size: blob.size, annotations: l.annotations });
  }
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: descs.map((d) => d.digest) }, config: {} }));
  const cfg = await pushBlob(registryUrl, repo, config);
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, size: cfg.size, digest: cfg.digest }, layers: descs });
  return pushManifest(registryUrl, repo, `sha256-${digest.slice(7)}.att`, manifest, OCI_MANIFEST);
}

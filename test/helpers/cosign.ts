/**
 * Test helpers that push images and signatures to a real registry in Cosign's exact formats, using
 * the OCI distribution API, and that sign them in tests at run time:
 * - images (OCI manifests) and multi-arch indexes;
 * - legacy Cosign signatures: manifest tagged `sha256-<hex>.sig`, one
 *   `application/vnd.dev.cosign.simplesigning.v1+json` layer per signature with the cosign
 *   annotations (signature, certificate, chain, Rekor bundle);
 * - Sigstore bundle v0.3 referrers (artifactType `application/vnd.dev.sigstore.bundle.v0.3+json`,
 *   `subject` = the image) plus the `sha256-<hex>` referrers-tag index (OCI 1.1 fallback);
 * - a self-made keyless world: a Fulcio-like CA (openssl, in a temp dir), a transparency-log key,
 *   and the custom trusted_root.json that trusts them.
 * No key or certificate is ever written into the repository.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface Pushed {
  digest: string;
  size: number;
  mediaType: string;
}

// ---- OCI distribution push ------------------------------------------------------------------

export async function pushBlob(registryUrl: string, repo: string, data: Buffer): Promise<Pushed> {
  const digest = sha256(data);
  const start = await fetch(`${registryUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get('location') ?? '', registryUrl);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
    body: data,
  });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  return { digest, size: data.length, mediaType: 'application/octet-stream' };
}

export async function pushManifest(registryUrl: string, repo: string, reference: string, body: Buffer | string, mediaType: string): Promise<Pushed> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: bytes,
  });
  if (res.status !== 201) throw new Error(`manifest push ${repo}:${reference}: ${res.status} ${await res.text()}`);
  return { digest: sha256(bytes), size: bytes.length, mediaType };
}

/** A small single-platform OCI image; `seed` makes distinct images. */
export async function pushImage(registryUrl: string, repo: string, tag: string | undefined, seed: string, platform = { os: 'linux', architecture: 'amd64' }): Promise<Pushed> {
  const layer = await pushBlob(registryUrl, repo, Buffer.from(`layer ${seed}`));
  const config = Buffer.from(JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} }));
  const cfg = await pushBlob(registryUrl, repo, config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: cfg.digest, size: cfg.size },
    layers: [{ mediaType: OCI_LAYER, digest: layer.digest, size: layer.size }],
  });
  const ref = tag ?? sha256(manifest);
  return pushManifest(registryUrl, repo, ref, manifest, OCI_MANIFEST);
}

/** A multi-arch OCI index over two platform images. */
export async function pushIndex(registryUrl: string, repo: string, tag: string, seed: string): Promise<{ index: Pushed; platforms: Pushed[] }> {
  const amd = await pushImage(registryUrl, repo, undefined, `${seed}-amd64`, { os: 'linux', architecture: 'amd64' });
  const arm = await pushImage(registryUrl, repo, undefined, `${seed}-arm64`, { os: 'linux', architecture: 'arm64' });
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { mediaType: OCI_MANIFEST, digest: amd.digest, size: amd.size, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: OCI_MANIFEST, digest: arm.digest, size: arm.size, platform: { os: 'linux', architecture: 'arm64' } },
    ],
  });
  return { index: await pushManifest(registryUrl, repo, tag, index, OCI_INDEX), platforms: [amd, arm] };
}

// ---- legacy Cosign signatures ---------------------------------------------------------------

/** Cosign's compact simple-signing payload (exact field order and `"optional":null`). */
export function simpleSigningPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(
    `{"critical":{"identity":{"docker-reference":"${dockerReference}"},"image":{"docker-manifest-digest":"${digest}"},"type":"cosign container image signature"},"optional":null}`,
  );
}

export interface SignatureLayer {
  payload: Buffer;
  annotations: Record<string, string>;
}

/** Push (or replace) the `sha256-<hex>.sig` manifest for `digest` with the given layers. */
export async function pushLegacySignatures(registryUrl: string, repo: string, digest: string, layers: SignatureLayer[]): Promise<Pushed> {
  const descs = [];
  for (const l of layers) {
    const blob = await pushBlob(registryUrl, repo, l.payload);
    descs.push({ mediaType: SIMPLESIGNING, digest: blob.digest, size: blob.size, annotations: l.annotations });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: descs.map((d) => d.digest) },
      config: {},
    }),
  );
  const cfg = await pushBlob(registryUrl, repo, config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, size: cfg.size, digest: cfg.digest },
    layers: descs,
  });
  return pushManifest(registryUrl, repo, `sha256-${digest.slice(7)}.sig`, manifest, OCI_MANIFEST);
}

export function ecKeyPair(curve: 'P-256' | 'P-384' = 'P-256'): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Sign like `cosign sign --key`: DER ECDSA (or RSA/Ed25519) over the payload, base64. */
export function signPayload(privateKey: KeyObject, payload: Buffer, hash: string | null = 'sha256'): string {
  return sign(hash, payload, privateKey).toString('base64');
}

// ---- transparency log and Fulcio-like CA ------------------------------------------------------

export interface TlogEntryJson {
  SignedEntryTimestamp: string;
  Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
}

export class TestTransparencyLog {
  readonly privateKey: KeyObject;
  readonly spkiDer: Buffer;
  readonly logIdHex: string;
  readonly baseUrl = 'https://rekor.portcullis.test';
  readonly origin = 'rekor.portcullis.test - 1';
  private nextIndex = 0;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.spkiDer = publicKey.export({ type: 'spki', format: 'der' });
    this.logIdHex = createHash('sha256').update(this.spkiDer).digest('hex');
  }

  /** A Rekor-style entry with its SET (the `dev.sigstore.cosign/bundle` annotation value). */
  entry(body: object, integratedTime: number): TlogEntryJson {
    const b64 = Buffer.from(JSON.stringify(body)).toString('base64');
    const logIndex = this.nextIndex++;
    const canonical = `{"body":${JSON.stringify(b64)},"integratedTime":${integratedTime},"logID":"${this.logIdHex}","logIndex":${logIndex}}`;
    const set = sign('sha256', Buffer.from(canonical), this.privateKey).toString('base64');
    return { SignedEntryTimestamp: set, Payload: { body: b64, integratedTime, logIndex, logID: this.logIdHex } };
  }

  hashedRekord(payload: Buffer, signatureB64: string, publicKeyOrCertPem: string, integratedTime: number): TlogEntryJson {
    return this.entry(
      {
        apiVersion: '0.0.1',
        kind: 'hashedrekord',
        spec: {
          data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') } },
          signature: { content: signatureB64, publicKey: { content: Buffer.from(publicKeyOrCertPem).toString('base64') } },
        },
      },
      integratedTime,
    );
  }

  /** A one-leaf inclusion proof with a signed checkpoint (what v0.2+ bundles require). */
  inclusionProof(bodyB64: string, logIndex: number): Record<string, unknown> {
    const leaf = createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(bodyB64, 'base64')])).digest();
    // A tree of logIndex+1 leaves would need real siblings; a one-leaf tree at index 0 is exact.
    if (logIndex !== 0) throw new Error('inclusionProof supports a one-leaf log only');
    const note = `${this.origin}\n1\n${leaf.toString('base64')}\n`;
    const sig = sign('sha256', Buffer.from(note), this.privateKey);
    const hint = Buffer.from(this.logIdHex, 'hex').subarray(0, 4);
    const envelope = `${note}\n\u2014 rekor.portcullis.test ${Buffer.concat([hint, sig]).toString('base64')}\n`;
    return { logIndex: '0', rootHash: leaf.toString('base64'), treeSize: '1', hashes: [], checkpoint: { envelope } };
  }
}

export interface FulcioIdentity {
  /** SAN: an email (rfc822Name) or a URI. */
  subject: string;
  issuer: string;
}

export interface Leaf {
  certPem: string;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
}

/** A Fulcio-like CA made with openssl in a temp dir (removed by `dispose`). */
export class TestFulcio {
  private readonly dir = mkdtempSync(join(tmpdir(), 'portcullis-fulcio-'));
  readonly rootPem: string;
  readonly rootDer: Buffer;
  private serial = 1;

  constructor(readonly name = 'portcullis-test-fulcio') {
    const key = join(this.dir, 'ca.key');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(
      join(this.dir, 'ca.cnf'),
      [
        '[req]',
        'distinguished_name=dn',
        'prompt=no',
        'x509_extensions=v3_ca',
        '[dn]',
        'O=portcullis-test',
        `CN=${name}`,
        '[v3_ca]',
        'basicConstraints=critical,CA:true',
        'keyUsage=critical,keyCertSign,cRLSign',
        'subjectKeyIdentifier=hash',
        '',
      ].join('\n'),
    );
    execFileSync('openssl', ['req', '-x509', '-new', '-key', key, '-days', '3650', '-config', join(this.dir, 'ca.cnf'), '-out', join(this.dir, 'ca.pem')], { stdio: 'pipe' });
    this.rootPem = readFileSync(join(this.dir, 'ca.pem'), 'utf8');
    this.rootDer = new X509Certificate(this.rootPem).raw;
  }

  /** Issue a code-signing leaf (valid from now for one day) with Fulcio's SAN and issuer extensions. */
  issue(identity: FulcioIdentity): Leaf {
    const n = this.serial++;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyPath = join(this.dir, `leaf${n}.key`);
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const san = identity.subject.includes('@') && !identity.subject.includes('://') ? `email:${identity.subject}` : `URI:${identity.subject}`;
    const issuerDer = derUtf8(identity.issuer);
    writeFileSync(
      join(this.dir, `leaf${n}.cnf`),
      [
        '[req]',
        'distinguished_name=dn',
        'prompt=no',
        '[dn]',
        'O=sigstore.dev',
        '[v3_leaf]',
        'basicConstraints=critical,CA:false',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=codeSigning',
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
        `subjectAltName=critical,${san}`,
        `1.3.6.1.4.1.57264.1.1=DER:${Buffer.from(identity.issuer).toString('hex').replace(/(..)/g, '$1:').slice(0, -1)}`,
        `1.3.6.1.4.1.57264.1.8=DER:${issuerDer.toString('hex').replace(/(..)/g, '$1:').slice(0, -1)}`,
        '',
      ].join('\n'),
    );
    const csr = join(this.dir, `leaf${n}.csr`);
    execFileSync('openssl', ['req', '-new', '-key', keyPath, '-config', join(this.dir, `leaf${n}.cnf`), '-out', csr], { stdio: 'pipe' });
    const out = join(this.dir, `leaf${n}.pem`);
    execFileSync(
      'openssl',
      [
        'x509', '-req', '-in', csr, '-CA', join(this.dir, 'ca.pem'), '-CAkey', join(this.dir, 'ca.key'),
        '-set_serial', String(1000 + n), '-extfile', join(this.dir, `leaf${n}.cnf`), '-extensions', 'v3_leaf',
        '-days', '1', '-out', out,
      ],
      { stdio: 'pipe' },
    );
    void publicKey;
    const certPem = readFileSync(out, 'utf8');
    const x509 = new X509Certificate(certPem);
    return { certPem, privateKey: createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })), notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo) };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function derUtf8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 127) throw new Error('issuer too long for this helper');
  return Buffer.concat([Buffer.from([0x0c, b.length]), b]);
}

/** A trusted_root.json that trusts exactly the given CA and log (no CT logs, no TSAs). */
export function trustedRootJson(fulcio: TestFulcio, log: TestTransparencyLog): Record<string, unknown> {
  const start = '2000-01-01T00:00:00Z';
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: log.baseUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: log.spkiDer.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: Buffer.from(log.logIdHex, 'hex').toString('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'portcullis-test', commonName: fulcio.name },
        uri: 'https://fulcio.portcullis.test',
        certChain: { certificates: [{ rawBytes: fulcio.rootDer.toString('base64') }] },
        validFor: { start },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  };
}

/** A keyless legacy signature layer (cert + chain + Rekor bundle annotations), as cosign writes it. */
export function keylessLegacyLayer(
  fulcio: TestFulcio,
  log: TestTransparencyLog,
  leaf: Leaf,
  payload: Buffer,
  integratedTime = Math.floor(Date.now() / 1000),
): SignatureLayer {
  const signature = signPayload(leaf.privateKey, payload);
  const entry = log.hashedRekord(payload, signature, leaf.certPem, integratedTime);
  return {
    payload,
    annotations: {
      'dev.cosignproject.cosign/signature': signature,
      'dev.sigstore.cosign/certificate': leaf.certPem,
      'dev.sigstore.cosign/chain': fulcio.rootPem,
      'dev.sigstore.cosign/bundle': JSON.stringify(entry),
    },
  };
}

/** A key-based legacy signature layer, optionally with a Rekor bundle annotation. */
export function keyLegacyLayer(privateKey: KeyObject, payload: Buffer, tlog?: { log: TestTransparencyLog; publicKeyPem: string }): SignatureLayer {
  const signature = signPayload(privateKey, payload);
  const annotations: Record<string, string> = { 'dev.cosignproject.cosign/signature': signature };
  if (tlog) {
    const entry = tlog.log.hashedRekord(payload, signature, tlog.publicKeyPem, Math.floor(Date.now() / 1000));
    annotations['dev.sigstore.cosign/bundle'] = JSON.stringify(entry);
  }
  return { payload, annotations };
}

// ---- Sigstore bundle v0.3 (DSSE in-toto statement), as an OCI 1.1 referrer -------------------

export function inTotoStatement(digest: string, name: string, predicateType = 'https://sigstore.dev/cosign/sign/v1'): Buffer {
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name, digest: { sha256: digest.slice(7) } }],
      predicateType,
      predicate: {},
    }),
  );
}

function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `),
    payload,
  ]);
}

/** A keyless Sigstore bundle v0.3 with a DSSE envelope, SET and one-leaf inclusion proof. */
export function keylessBundleV03(log: TestTransparencyLog, leaf: Leaf, statement: Buffer): Record<string, unknown> {
  return dsseBundleV03(log, leaf.privateKey, leaf.certPem, { certificate: { rawBytes: new X509Certificate(leaf.certPem).raw.toString('base64') } }, statement);
}

/** A key-based Sigstore bundle v0.3 (public-key hint), with a log entry unless `log` is undefined. */
export function keyBundleV03(log: TestTransparencyLog | undefined, privateKey: KeyObject, publicKeyPem: string, statement: Buffer): Record<string, unknown> {
  return dsseBundleV03(log, privateKey, publicKeyPem, { publicKey: { hint: 'test-key' } }, statement);
}

function dsseBundleV03(
  log: TestTransparencyLog | undefined,
  privateKey: KeyObject,
  verifierPem: string,
  signer: Record<string, unknown>,
  statement: Buffer,
): Record<string, unknown> {
  const payloadType = 'application/vnd.in-toto+json';
  const sig = sign('sha256', pae(payloadType, statement), privateKey).toString('base64');
  const envelope = { payload: statement.toString('base64'), payloadType, signatures: [{ sig, keyid: '' }] };
  const tlogEntries: unknown[] = [];
  if (log) {
    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: createHash('sha256').update(JSON.stringify(envelope)).digest('hex') },
        payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(statement).digest('hex') },
        signatures: [{ signature: sig, verifier: Buffer.from(verifierPem).toString('base64') }],
      },
    };
    tlogEntries.push(bundleTlogEntry(log, body));
  }
  return {
    mediaType: BUNDLE_V03,
    verificationMaterial: { ...signer, tlogEntries, timestampVerificationData: {} },
    dsseEnvelope: envelope,
  };
}

/**
 * A Sigstore bundle v0.3 with a message signature (no DSSE) over `artifact` (for an image: its
 * manifest bytes, so the message digest is the image digest), with a hashedrekord log entry unless
 * `log` is undefined. `signer` is the verification material (certificate or public-key hint).
 */
export function messageBundleV03(
  log: TestTransparencyLog | undefined,
  privateKey: KeyObject,
  verifierPem: string,
  signer: Record<string, unknown>,
  artifact: Buffer,
): Record<string, unknown> {
  const digest = createHash('sha256').update(artifact);
  const sig = sign('sha256', artifact, privateKey).toString('base64');
  const tlogEntries: unknown[] = [];
  if (log) {
    const body = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(artifact).digest('hex') } },
        signature: { content: sig, publicKey: { content: Buffer.from(verifierPem).toString('base64') } },
      },
    };
    tlogEntries.push(bundleTlogEntry(log, body));
  }
  return {
    mediaType: BUNDLE_V03,
    verificationMaterial: { ...signer, tlogEntries, timestampVerificationData: {} },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: digest.digest('base64') }, signature: sig },
  };
}

/** The exact bytes of a manifest in the registry (what a message-signature bundle signs). */
export async function manifestBytes(registryUrl: string, repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${digest}`, { headers: { accept: OCI_MANIFEST } });
  if (res.status !== 200) throw new Error(`manifest ${repo}@${digest}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** A bundle's tlog entry for `body` (a Rekor entry of its kind), at index 0 with its inclusion proof. */
function bundleTlogEntry(log: TestTransparencyLog, body: { apiVersion: string; kind: string }): Record<string, unknown> {
  const integratedTime = Math.floor(Date.now() / 1000);
  const entry = new TestTransparencyLogView(log).entryAtZero(body, integratedTime);
  return {
    logIndex: '0',
    logId: { keyId: Buffer.from(log.logIdHex, 'hex').toString('base64') },
    kindVersion: { kind: body.kind, version: body.apiVersion },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: entry.SignedEntryTimestamp },
    inclusionProof: log.inclusionProof(entry.Payload.body, 0),
    canonicalizedBody: entry.Payload.body,
  };
}

/** Signs entries at log index 0 (so the one-leaf inclusion proof is exact). */
class TestTransparencyLogView {
  constructor(private readonly log: TestTransparencyLog) {}
  entryAtZero(body: object, integratedTime: number): TlogEntryJson {
    const b64 = Buffer.from(JSON.stringify(body)).toString('base64');
    const canonical = `{"body":${JSON.stringify(b64)},"integratedTime":${integratedTime},"logID":"${this.log.logIdHex}","logIndex":0}`;
    const set = sign('sha256', Buffer.from(canonical), this.log.privateKey).toString('base64');
    return { SignedEntryTimestamp: set, Payload: { body: b64, integratedTime, logIndex: 0, logID: this.log.logIdHex } };
  }
}

/**
 * Attach a Sigstore bundle to `subject` as an OCI 1.1 referrer and add it to the `sha256-<hex>`
 * referrers-tag index (the fallback for registries without the referrers API).
 */
export async function pushBundleReferrer(registryUrl: string, repo: string, subject: Pushed, bundle: object): Promise<Pushed> {
  const empty = await pushBlob(registryUrl, repo, Buffer.from('{}'));
  const layer = await pushBlob(registryUrl, repo, Buffer.from(JSON.stringify(bundle)));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: BUNDLE_V03,
    config: { mediaType: OCI_EMPTY, digest: empty.digest, size: empty.size },
    layers: [{ mediaType: BUNDLE_V03, digest: layer.digest, size: layer.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' },
  });
  const referrer = await pushManifest(registryUrl, repo, sha256(manifest), manifest, OCI_MANIFEST);
  const tag = `sha256-${subject.digest.slice(7)}`;
  const existing = await fetch(`${registryUrl}/v2/${repo}/manifests/${tag}`, { headers: { accept: OCI_INDEX } });
  const manifests: unknown[] = existing.status === 200 ? ((await existing.json()) as { manifests: unknown[] }).manifests : [];
  manifests.push({ mediaType: OCI_MANIFEST, digest: referrer.digest, size: referrer.size, artifactType: BUNDLE_V03 });
  await pushManifest(registryUrl, repo, tag, JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }), OCI_INDEX);
  return referrer;
}

export function randomRepo(prefix = 'app'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Bridges cosign's legacy annotations to @sigstore/verify: a legacy signature with a certificate
 * (keyless) or a public key, plus the `dev.sigstore.cosign/bundle` SET, becomes a Sigstore bundle
 * v0.1 (message signature over the payload; the SET as the tlog entry's inclusion promise), which
 * `bundleFromJSON` validates and `toSignedEntity` turns into what `Verifier` checks.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { toSignedEntity, type SignedEntity } from '@sigstore/verify';
import type { LegacySignature, RekorBundle } from './signatures';

const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
/** The hint under which a key attestor's key is offered to @sigstore/verify. */
export const KEY_HINT = 'portcullis-attestor-key';

function tlogEntry(rekor: RekorBundle): Record<string, unknown> {
  let kind = 'hashedrekord';
  let version = '0.0.1';
  try {
    const body = JSON.parse(Buffer.from(rekor.Payload.body, 'base64').toString('utf8')) as { kind?: unknown; apiVersion?: unknown };
    if (typeof body.kind === 'string') kind = body.kind;
    if (typeof body.apiVersion === 'string') version = body.apiVersion;
  } catch {
    // left to @sigstore/verify, which rejects an unreadable body
  }
  return {
    logIndex: String(rekor.Payload.logIndex),
    logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
    kindVersion: { kind, version },
    integratedTime: String(rekor.Payload.integratedTime),
    inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
    canonicalizedBody: rekor.Payload.body,
  };
}

/** Leaf certificate PEM → base64 DER. */
function pemToDerBase64(pem: string): string {
  return new X509Certificate(pem).raw.toString('base64');
}

/** The v0.1 bundle for a legacy signature: keyless when `signer` is `certificate`, else key hint. */
export function legacyToBundle(sig: LegacySignature, signer: 'certificate' | 'key'): Bundle {
  const verificationMaterial: Record<string, unknown> = {
    tlogEntries: sig.rekorBundle ? [tlogEntry(sig.rekorBundle)] : [],
    timestampVerificationData: { rfc3161Timestamps: [] },
  };
  if (signer === 'certificate') {
    if (!sig.certificatePem) throw new Error('legacy signature has no certificate');
    verificationMaterial.x509CertificateChain = { certificates: [{ rawBytes: pemToDerBase64(sig.certificatePem) }] };
  } else {
    verificationMaterial.publicKey = { hint: KEY_HINT };
  }
  return bundleFromJSON({
    mediaType: BUNDLE_V01,
    verificationMaterial,
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(sig.payload).digest('base64') },
      signature: sig.signature,
    },
  });
}

/**
 * The v0.1 bundle JSON for one signature of a legacy attestation (`.att` layer): the DSSE envelope
 * with that one signature, the certificate (keyless) or the key hint (key), and the Rekor entry
 * from the `dev.sigstore.cosign/bundle` annotation (an `intoto` or `dsse` entry). Not validated
 * here: the verifier parses it like any bundle it reads from a registry.
 */
export function legacyAttestationBundle(att: {
  payloadType: string;
  payload: Buffer;
  signature: { sig: string; keyid?: string };
  certificatePem?: string;
  rekorBundle?: RekorBundle;
}): Record<string, unknown> {
  const verificationMaterial: Record<string, unknown> = {
    tlogEntries: att.rekorBundle ? [tlogEntry(att.rekorBundle)] : [],
    timestampVerificationData: { rfc3161Timestamps: [] },
  };
  if (att.certificatePem !== undefined) {
    verificationMaterial.x509CertificateChain = { certificates: [{ rawBytes: pemToDerBase64(att.certificatePem) }] };
  } else {
    verificationMaterial.publicKey = { hint: KEY_HINT };
  }
  return {
    mediaType: BUNDLE_V01,
    verificationMaterial,
    dsseEnvelope: {
      payload: att.payload.toString('base64'),
      payloadType: att.payloadType,
      signatures: [{ sig: att.signature.sig, keyid: att.signature.keyid ?? '' }],
    },
  };
}

export function legacyToSignedEntity(sig: LegacySignature, signer: 'certificate' | 'key'): SignedEntity {
  return toSignedEntity(legacyToBundle(sig, signer), sig.payload);
}

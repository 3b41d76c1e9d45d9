/** `sha256:<hex>` digests: computing, validating, and the `sha256-<hex>` tag forms Cosign uses. */
import { createHash } from 'node:crypto';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isSha256Digest(value: string): boolean {
  return DIGEST_RE.test(value);
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function digestHex(digest: string): string {
  return digest.slice('sha256:'.length);
}

/** Cosign's legacy signature tag: `sha256-<hex>.sig`. */
export function signatureTag(digest: string): string {
  return `sha256-${digestHex(digest)}.sig`;
}

/** Cosign's legacy attestation tag: `sha256-<hex>.att`. */
export function attestationTag(digest: string): string {
  return `sha256-${digestHex(digest)}.att`;
}

/** The OCI 1.1 referrers-tag fallback: `sha256-<hex>`. */
export function referrersTag(digest: string): string {
  return `sha256-${digestHex(digest)}`;
}

/**
 * The serving certificate and key, read from files (cert-manager's Secret mount) and checked before
 * use: a half-written rotation (new certificate, old key) is refused, never installed.
 */
import { createSecureContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** sha256 over both, to notice real changes. */
  fingerprint: string;
  /** The leaf certificate's expiry, for logs. */
  validTo: string;
}

export class TlsMaterialError extends Error {
  override name = 'TlsMaterialError';
}

export function readTlsMaterial(certPath: string, keyPath: string): TlsMaterial {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(certPath);
    key = readFileSync(keyPath);
  } catch (err) {
    throw new TlsMaterialError(`cannot read TLS files: ${(err as Error).message}`);
  }
  let validTo: string;
  try {
    validTo = new X509Certificate(cert).validTo;
    // Throws on an unparsable key and on a key that does not belong to the certificate.
    createSecureContext({ cert, key });
  } catch (err) {
    throw new TlsMaterialError(`invalid TLS certificate/key pair (${certPath}, ${keyPath}): ${(err as Error).message}`);
  }
  const fingerprint = createHash('sha256').update(cert).update('\0').update(key).digest('hex');
  return { cert, key, fingerprint, validTo };
}

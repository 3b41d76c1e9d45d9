/**
 * PEM public keys of key attestors, verified with node:crypto: ECDSA P-256/P-384/P-521 (DER
 * signatures, as cosign writes them), RSA PKCS#1 v1.5 and Ed25519. Cosign hashes with SHA-256 by
 * default; newer cosign picks SHA-384/SHA-512 for P-384/P-521 keys, so both are accepted there.
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { ImageConfigError } from './errors';

export interface ParsedKey {
  key: KeyObject;
  /** Digest algorithms to try, in order (`null` = the key type's own, for Ed25519). */
  hashes: readonly (string | null)[];
  /** The protobuf-specs key details name, for @sigstore/verify trust material. */
  keyDetails: string;
}

const cache = new Map<string, ParsedKey>();

export function parsePublicKey(pem: string): ParsedKey {
  const hit = cache.get(pem);
  if (hit) return hit;
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new ImageConfigError(`attestor public key is not a valid PEM public key: ${(err as Error).message}`);
  }
  let parsed: ParsedKey;
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') parsed = { key, hashes: ['sha256'], keyDetails: 'PKIX_ECDSA_P256_SHA_256' };
    else if (curve === 'secp384r1') parsed = { key, hashes: ['sha384', 'sha256'], keyDetails: 'PKIX_ECDSA_P384_SHA_384' };
    else if (curve === 'secp521r1') parsed = { key, hashes: ['sha512', 'sha256'], keyDetails: 'PKIX_ECDSA_P521_SHA_512' };
    else throw new ImageConfigError(`unsupported EC curve ${String(curve)}`);
  } else if (type === 'rsa') {
    parsed = { key, hashes: ['sha256'], keyDetails: 'PKIX_RSA_PKCS1V15_2048_SHA256' };
  } else if (type === 'ed25519') {
    parsed = { key, hashes: [null], keyDetails: 'PKIX_ED25519' };
  } else {
    throw new ImageConfigError(`unsupported public key type ${String(type)}`);
  }
  if (cache.size > 256) cache.clear();
  cache.set(pem, parsed);
  return parsed;
}

/** Does `signature` over `data` verify under `key`? Never throws for a bad signature. */
export function verifyWithKey(parsed: ParsedKey, data: Buffer, signature: Buffer): boolean {
  for (const hash of parsed.hashes) {
    try {
      if (cryptoVerify(hash, data, parsed.key, signature)) return true;
    } catch {
      // malformed signature for this key type: not verified
    }
  }
  return false;
}

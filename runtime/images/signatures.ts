/**
 * Signature discovery: everything stored for one image digest, in both layouts cosign writes.
 *
 * - Legacy: the manifest tagged `sha256-<hex>.sig` in the image's repository; each layer of type
 *   `application/vnd.dev.cosign.simplesigning.v1+json` is one signature: the layer blob is the
 *   signed payload, annotations carry the signature, and for keyless the certificate, chain and
 *   Rekor bundle (SET).
 * - Sigstore bundle v0.3 as OCI 1.1 referrers (artifactType
 *   `application/vnd.dev.sigstore.bundle.v0.3+json`), through the referrers API or the
 *   `sha256-<hex>` referrers tag. A bundle holds either a DSSE envelope (an in-toto statement
 *   naming the digest) or a message signature over the image manifest itself; for the latter the
 *   manifest's bytes (read by digest, so checked against it) are what the signature covers.
 */
import type { Deadline } from './deadline';
import { signatureTag } from './digest';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_SIGNATURE,
  COSIGN_SIMPLESIGNING,
  SIGSTORE_BUNDLE_V03,
} from './media-types';
import { descriptors, type RegistryClient } from './registry-client';

/** At most this many legacy layers and bundle referrers are read per image. */
export const MAX_SIGNATURES = 32;

/** The `dev.sigstore.cosign/bundle` annotation: Rekor's signed entry timestamp and entry. */
export interface RekorBundle {
  SignedEntryTimestamp: string;
  Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
}

export interface LegacySignature {
  format: 'legacy';
  /** Where it came from, for messages (`repo:sha256-….sig layer 0`). */
  source: string;
  payload: Buffer;
  /** Base64, as in the annotation. */
  signature: string;
  certificatePem?: string;
  chainPem?: string;
  rekorBundle?: RekorBundle;
}

export interface BundleSignature {
  format: 'bundle';
  source: string;
  /** The Sigstore bundle JSON (parsed, not yet validated). */
  bundle: unknown;
  /** For a message-signature bundle: the image manifest's bytes (the signed artifact). */
  artifact?: Buffer;
}

/** Whether a bundle's JSON carries a message signature (rather than a DSSE envelope). */
function signsMessage(bundle: unknown): boolean {
  return bundle !== null && typeof bundle === 'object' && 'messageSignature' in bundle;
}

export type SignatureCandidate = LegacySignature | BundleSignature;

export function parseRekorBundle(text: string | undefined): RekorBundle | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    const v = JSON.parse(text) as Partial<RekorBundle>;
    const p = v.Payload;
    if (
      typeof v.SignedEntryTimestamp === 'string' &&
      p &&
      typeof p.body === 'string' &&
      typeof p.integratedTime === 'number' &&
      typeof p.logIndex === 'number' &&
      typeof p.logID === 'string'
    ) {
      return v as RekorBundle;
    }
  } catch {
    // not a bundle: treated as absent
  }
  return undefined;
}

/** Legacy `.sig` signatures of `digest` in `repository` (none when the tag does not exist). */
export async function legacySignatures(
  client: RegistryClient,
  repository: string,
  digest: string,
  deadline: Deadline,
): Promise<LegacySignature[]> {
  const tag = signatureTag(digest);
  const manifest = await client.manifest(repository, tag, deadline);
  if (!manifest) return [];
  // Bounded: whoever can push to the repository must not make one admission fetch unbounded blobs.
  const layers = descriptors(manifest.json.layers).slice(0, MAX_SIGNATURES);
  const out = await Promise.all(
    layers.map(async (layer, i): Promise<LegacySignature | undefined> => {
      if (layer.mediaType !== COSIGN_SIMPLESIGNING) return undefined;
      const ann = layer.annotations ?? {};
      const signature = ann[ANNOTATION_SIGNATURE];
      if (signature === undefined || signature === '') return undefined;
      const payload = await client.blob(repository, layer.digest, deadline, 256 * 1024);
      const sig: LegacySignature = { format: 'legacy', source: `${repository}:${tag} layer ${i}`, payload, signature };
      if (ann[ANNOTATION_CERTIFICATE]) sig.certificatePem = ann[ANNOTATION_CERTIFICATE];
      if (ann[ANNOTATION_CHAIN]) sig.chainPem = ann[ANNOTATION_CHAIN];
      const rekor = parseRekorBundle(ann[ANNOTATION_BUNDLE]);
      if (rekor) sig.rekorBundle = rekor;
      return sig;
    }),
  );
  return out.filter((s): s is LegacySignature => s !== undefined);
}

/**
 * Sigstore bundles attached to `digest` as OCI 1.1 referrers in `repository`. `readManifest` reads
 * the image manifest (default: from `repository`; the image's own repository when signatures are
 * stored elsewhere).
 */
export async function bundleSignatures(
  client: RegistryClient,
  repository: string,
  digest: string,
  deadline: Deadline,
  readManifest: () => Promise<Buffer | undefined> = () => client.manifest(repository, digest, deadline).then((m) => m?.body),
  maxBundleBytes = 1024 * 1024,
): Promise<BundleSignature[]> {
  const refs = await client.referrers(repository, digest, SIGSTORE_BUNDLE_V03, deadline);
  // The image manifest, read once and only if some bundle signs it directly (message signature).
  let imageManifest: Promise<Buffer | undefined> | undefined;
  const artifact = (): Promise<Buffer | undefined> => {
    imageManifest ??= readManifest();
    return imageManifest;
  };
  const out = await Promise.all(
    refs.slice(0, MAX_SIGNATURES).map(async (ref): Promise<BundleSignature | undefined> => {
      const manifest = await client.manifest(repository, ref.digest, deadline);
      if (!manifest) return undefined;
      const subject = manifest.json.subject as { digest?: unknown } | undefined;
      if (subject?.digest !== digest) return undefined;
      const layer = descriptors(manifest.json.layers).find((l) => l.mediaType === SIGSTORE_BUNDLE_V03);
      if (!layer) return undefined;
      const blob = await client.blob(repository, layer.digest, deadline, maxBundleBytes);
      let bundle: unknown;
      try {
        bundle = JSON.parse(blob.toString('utf8'));
      } catch {
        return undefined;
      }
      const sig: BundleSignature = { format: 'bundle', source: `${repository}@${ref.digest}`, bundle };
      if (signsMessage(bundle)) {
        const bytes = await artifact();
        if (bytes !== undefined) sig.artifact = bytes;
      }
      return sig;
    }),
  );
  return out.filter((s): s is BundleSignature => s !== undefined);
}

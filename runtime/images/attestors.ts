/**
 * Verifying signature candidates against a rule's attestors. Every attestor set must pass (AND);
 * within a set, `count` of its entries (default: all). An entry passes when at least one candidate
 * verifies under it:
 *
 * - key: the payload names the digest; the signature verifies with the PEM key (node:crypto); with
 *   `requireTlog`, the Rekor SET (legacy annotation or bundle entry) verifies against the log keys
 *   of the attestor's `trustedRoot` (default: public-good), through @sigstore/verify.
 * - keyless: through @sigstore/verify — the certificate chains to the trusted root's CAs and was
 *   valid at the transparency log's integrated time, the SET / inclusion proof verifies, SCTs
 *   (`ctlogThreshold`), the signature verifies — then the identity is matched here, exactly or by
 *   anchored regex; and the payload/statement names the digest.
 * - Sigstore bundles come as a DSSE envelope (an in-toto statement that must name the digest) or as
 *   a message signature over the image manifest (its message digest must be the admitted digest,
 *   and the signature is verified over the manifest bytes read from the registry by that digest).
 *
 * Pure apart from CPU: no I/O. Failures are reasons (verdicts); configuration problems throw.
 */
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, type SignedEntity, type TrustMaterial, type VerifierOptions } from '@sigstore/verify';
import type { Attestor, AttestorSet, KeyAttestor, KeylessAttestor } from '../bundle';
import { combineAttestorSets, unsignedVerdict, type AttestorVerdict } from './attestor-sets';
import { ImageConfigError } from './errors';
import { describeIdentity, identityMatches, type SignerIdentity } from './identity';
import { checkInTotoStatement, checkSimpleSigningPayload } from './payload';
import { parsePublicKey, verifyWithKey, type ParsedKey } from './public-key';
import { legacyToSignedEntity } from './sigstore-entity';
import type { BundleSignature, LegacySignature, SignatureCandidate } from './signatures';
import type { TrustRoots } from './trust-roots';

export interface AttestorContext {
  roots: TrustRoots;
  /** in-toto predicate types that count as an image signature in a Sigstore bundle. */
  acceptedPredicateTypes: readonly string[];
}

export type { AttestorVerdict };

/** Every set must pass; within a set, `count` of its entries (attestor-sets.ts, shared with fixtures). */
export function verifyAttestorSets(
  sets: readonly AttestorSet[],
  candidates: readonly SignatureCandidate[],
  digest: string,
  ctx: AttestorContext,
): AttestorVerdict {
  if (candidates.length === 0) return unsignedVerdict(digest);
  return combineAttestorSets(sets, (entry) => verifyEntry(entry, candidates, digest, ctx));
}

/** undefined = some candidate verifies under `attestor`; else the most relevant reason. */
export function verifyEntry(
  attestor: Attestor,
  candidates: readonly SignatureCandidate[],
  digest: string,
  ctx: AttestorContext,
): string | undefined {
  const reasons: string[] = [];
  for (const c of candidates) {
    const why = attestor.type === 'key' ? verifyKey(attestor, c, digest, ctx) : verifyKeyless(attestor, c, digest, ctx);
    if (why === undefined) return undefined;
    reasons.push(why);
  }
  return [...new Set(reasons)].join('; ');
}

function verifyKey(attestor: KeyAttestor, c: SignatureCandidate, digest: string, ctx: AttestorContext): string | undefined {
  const key = parsePublicKey(attestor.publicKey);
  if (c.format === 'legacy') {
    const payloadProblem = checkSimpleSigningPayload(c.payload, digest);
    if (payloadProblem) return payloadProblem;
    if (!verifyWithKey(key, c.payload, Buffer.from(c.signature, 'base64'))) return 'signature does not verify with the key';
    if (attestor.requireTlog) {
      if (!c.rekorBundle) return 'no transparency-log entry (requireTlog)';
      return sigstoreCheck(() => legacyToSignedEntity(c, 'key'), keyMaterial(ctx, attestor, key), { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 });
    }
    return undefined;
  }
  const bundle = parseBundle(c);
  if (typeof bundle === 'string') return bundle;
  if (bundle.verificationMaterial.content.$case !== 'publicKey') return 'bundle is signed by a certificate, not a key';
  const messageProblem = messageSignatureProblem(bundle, c, digest);
  if (messageProblem !== undefined) return messageProblem;
  const tlog = attestor.requireTlog ? 1 : 0;
  // Without requireTlog, log entries are not evaluated (they may come from a log this root lacks).
  const checked: Bundle = tlog === 1 ? bundle : { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [] } };
  const problem = sigstoreCheck(() => toSignedEntity(checked, c.artifact), keyMaterial(ctx, attestor, key), {
    tlogThreshold: tlog,
    ctlogThreshold: 0,
    timestampThreshold: tlog,
  });
  return problem ?? bundleCoversDigest(bundle, digest, ctx);
}

function verifyKeyless(attestor: KeylessAttestor, c: SignatureCandidate, digest: string, ctx: AttestorContext): string | undefined {
  const material = ctx.roots.material(attestor.trustedRoot);
  const options: VerifierOptions = {
    tlogThreshold: attestor.tlogThreshold ?? 1,
    ctlogThreshold: attestor.ctlogThreshold ?? 1,
    // The certificate's validity is checked at the log's integrated time: one timestamp is required.
    timestampThreshold: 1,
  };
  let entity: () => SignedEntity;
  let covers: () => string | undefined;
  if (c.format === 'legacy') {
    if (!c.certificatePem) return 'signature has no certificate (not keyless)';
    if (!c.rekorBundle) return 'keyless signature has no transparency-log entry';
    const payloadProblem = checkSimpleSigningPayload(c.payload, digest);
    if (payloadProblem) return payloadProblem;
    entity = () => legacyToSignedEntity(c, 'certificate');
    covers = () => undefined;
  } else {
    const bundle = parseBundle(c);
    if (typeof bundle === 'string') return bundle;
    if (bundle.verificationMaterial.content.$case === 'publicKey') return 'bundle is signed by a key, not a certificate';
    const messageProblem = messageSignatureProblem(bundle, c, digest);
    if (messageProblem !== undefined) return messageProblem;
    entity = () => toSignedEntity(bundle, c.artifact);
    covers = () => bundleCoversDigest(bundle, digest, ctx);
  }
  let signer: SignerIdentity;
  try {
    const result = new Verifier(material, options).verify(entity());
    signer = { subject: result.identity?.subjectAlternativeName, issuer: result.identity?.extensions?.issuer };
  } catch (err) {
    if (err instanceof ImageConfigError) throw err;
    return `sigstore verification failed: ${errorText(err)}`;
  }
  if (!attestor.identities.some((m) => identityMatches(m, signer))) {
    return `certificate identity (${describeIdentity(signer)}) matches none of the allowed identities`;
  }
  return covers();
}

function keyMaterial(ctx: AttestorContext, attestor: KeyAttestor, key: ParsedKey): TrustMaterial {
  return ctx.roots.materialWithKey(attestor.trustedRoot, attestor.publicKey, key.key);
}

function sigstoreCheck(entity: () => SignedEntity, material: TrustMaterial, options: VerifierOptions): string | undefined {
  try {
    new Verifier(material, options).verify(entity());
    return undefined;
  } catch (err) {
    return `sigstore verification failed: ${errorText(err)}`;
  }
}

function parseBundle(c: BundleSignature): Bundle | string {
  try {
    return bundleFromJSON(c.bundle);
  } catch (err) {
    return `invalid Sigstore bundle (${(err as Error).message})`;
  }
}

/**
 * A message-signature bundle signs the image manifest itself: its message digest must be the
 * admitted digest (sha256), and the manifest bytes must be at hand for the signature check. Checked
 * before the signature, so a bundle for another image says so instead of "signature failed".
 */
function messageSignatureProblem(bundle: Bundle, c: BundleSignature, digest: string): string | undefined {
  const content = bundle.content;
  if (content.$case !== 'messageSignature') return undefined;
  const md = content.messageSignature.messageDigest;
  if (md === undefined || md.algorithm !== HashAlgorithm.SHA2_256) {
    return 'bundle carries a message signature whose digest is not sha256 (an image manifest digest is)';
  }
  const signed = `sha256:${Buffer.from(md.digest).toString('hex')}`;
  if (signed !== digest) return `bundle's message signature is over ${signed}, not ${digest}`;
  if (c.artifact === undefined) return 'bundle carries a message signature, but the image manifest it signs could not be read';
  return undefined;
}

function bundleCoversDigest(bundle: Bundle, digest: string, ctx: AttestorContext): string | undefined {
  const content = bundle.content;
  // A message signature was matched to the digest before verification (messageSignatureProblem).
  if (content.$case === 'messageSignature') return undefined;
  return checkInTotoStatement(content.dsseEnvelope.payloadType, content.dsseEnvelope.payload, digest, ctx.acceptedPredicateTypes);
}

/** An error's message with its causes (@sigstore/verify wraps the precise reason). */
function errorText(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 4 && cur instanceof Error; i += 1) {
    if (!parts.includes(cur.message)) parts.push(cur.message);
    cur = cur.cause;
  }
  return parts.join(': ') || String(err);
}

export type { LegacySignature };

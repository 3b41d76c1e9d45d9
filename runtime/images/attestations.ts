/**
 * Attestations of verifyAttestations rules: discovery and verdicts.
 *
 * Discovery (everything stored for one image digest, in both layouts cosign writes):
 * - legacy: the manifest tagged `sha256-<hex>.att`; each layer of type
 *   `application/vnd.dsse.envelope.v1+json` is a DSSE envelope (an in-toto statement), with the
 *   certificate/chain (keyless) and the Rekor entry (`dev.sigstore.cosign/bundle`) in annotations.
 *   Each envelope signature becomes a Sigstore bundle v0.1 (sigstore-entity.ts), so legacy and
 *   referrer attestations are verified by the same code as signatures (attestors.ts `verifyEntry`:
 *   key, key + tlog, keyless with identities, trusted roots).
 * - Sigstore bundles with a DSSE envelope attached as OCI 1.1 referrers (referrers API or the
 *   `sha256-<hex>` tag fallback), read by signatures.ts `bundleSignatures`.
 *
 * Verdict: every requirement must be met. For a requirement, its attestor sets combine as for
 * signatures (attestor-sets.ts): every set, `count` of its entries. An entry is met when, among the
 * statements of the requirement's predicate types that verify under it and name the digest, the
 * current ones (within `maxAgeSeconds`) are at least one and ALL satisfy the typed conditions: an
 * old clean scan cannot hide a newer one with findings, and expired scans are simply ignored.
 * Statements nobody trusted signed are ignored. Pure apart from CPU (candidates are fetched by
 * `attestationCandidates`).
 */
import type { AttestationRequirement, Attestor, VerifyAttestationsRule } from '../bundle';
import { combineAttestorSets } from './attestor-sets';
import { verifyEntry, type AttestorContext } from './attestors';
import type { Deadline } from './deadline';
import { attestationTag } from './digest';
import { ANNOTATION_BUNDLE, ANNOTATION_CERTIFICATE, ANNOTATION_PREDICATE_TYPE, DSSE_ENVELOPE } from './media-types';
import { conditionProblem, freshness, parseStatement, requirementLabel, subjectProblem, type Statement } from './predicates';
import { descriptors, type RegistryClient } from './registry-client';
import { legacyAttestationBundle } from './sigstore-entity';
import { bundleSignatures, MAX_SIGNATURES, parseRekorBundle, type BundleSignature } from './signatures';
import type { TrustRoots } from './trust-roots';

/** Largest attestation read (a vulnerability report can be large; still bounded per admission). */
export const MAX_ATTESTATION_BYTES = 4 * 1024 * 1024;

/** One signed DSSE envelope, as a Sigstore bundle, with its statement read (not yet trusted). */
export interface AttestationCandidate {
  candidate: BundleSignature;
  statement: Statement | string;
}

export interface AttestationVerdict {
  verified: boolean;
  reason?: string;
  /** Epoch ms after which a success no longer holds (the first current statement's maxAge ends). */
  validUntil?: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The statement inside a bundle's DSSE envelope (unverified), or why there is none. */
function bundleStatement(bundle: unknown): Statement | string | undefined {
  const env = isRecord(bundle) ? bundle.dsseEnvelope : undefined;
  if (!isRecord(env)) return undefined; // a message signature: not an attestation
  if (typeof env.payloadType !== 'string' || typeof env.payload !== 'string') return 'DSSE envelope without payload';
  return parseStatement(env.payloadType, Buffer.from(env.payload, 'base64'));
}

/** Legacy `.att` attestations of `digest` in `repository`, one candidate per envelope signature. */
export async function legacyAttestations(
  client: RegistryClient,
  repository: string,
  digest: string,
  deadline: Deadline,
  predicateTypes: ReadonlySet<string>,
): Promise<BundleSignature[]> {
  const tag = attestationTag(digest);
  const manifest = await client.manifest(repository, tag, deadline);
  if (!manifest) return [];
  const layers = descriptors(manifest.json.layers).slice(0, MAX_SIGNATURES);
  const out = await Promise.all(
    layers.map(async (layer, i): Promise<BundleSignature[]> => {
      if (layer.mediaType !== DSSE_ENVELOPE) return [];
      const ann = layer.annotations ?? {};
      // cosign records the predicate type; a layer of another type is not read (the statement decides for the rest).
      const hinted = ann[ANNOTATION_PREDICATE_TYPE];
      if (hinted !== undefined && hinted !== '' && !predicateTypes.has(hinted)) return [];
      const blob = await client.blob(repository, layer.digest, deadline, MAX_ATTESTATION_BYTES);
      let env: unknown;
      try {
        env = JSON.parse(blob.toString('utf8'));
      } catch {
        return [];
      }
      if (!isRecord(env) || typeof env.payloadType !== 'string' || typeof env.payload !== 'string' || !Array.isArray(env.signatures)) return [];
      const payload = Buffer.from(env.payload, 'base64');
      const rekorBundle = parseRekorBundle(ann[ANNOTATION_BUNDLE]);
      const certificatePem = ann[ANNOTATION_CERTIFICATE] === '' ? undefined : ann[ANNOTATION_CERTIFICATE];
      const sigs = env.signatures.filter((s): s is { sig: string; keyid?: string } => isRecord(s) && typeof s.sig === 'string' && s.sig !== '');
      return sigs.slice(0, 4).map((signature, j) => {
        let bundle: unknown;
        try {
          bundle = legacyAttestationBundle({ payloadType: env.payloadType as string, payload, signature, certificatePem, rekorBundle });
        } catch (err) {
          bundle = { invalid: (err as Error).message }; // an unreadable certificate: fails verification with a reason
        }
        return { format: 'bundle', source: `${repository}:${tag} layer ${i}${sigs.length > 1 ? ` signature ${j}` : ''}`, bundle };
      });
    }),
  );
  return out.flat();
}

/** Every attestation candidate of `digest` (legacy `.att` and DSSE bundle referrers) of the rule's predicate types. */
export async function attestationCandidates(
  client: RegistryClient,
  repository: string,
  digest: string,
  deadline: Deadline,
  rule: VerifyAttestationsRule,
): Promise<AttestationCandidate[]> {
  const types = new Set(rule.attestations.flatMap((a) => a.predicateTypes));
  const [legacy, bundles] = await Promise.all([
    legacyAttestations(client, repository, digest, deadline, types),
    bundleSignatures(client, repository, digest, deadline, () => Promise.resolve(undefined), MAX_ATTESTATION_BYTES),
  ]);
  const out: AttestationCandidate[] = [];
  for (const candidate of [...legacy, ...bundles]) {
    const statement = bundleStatement(candidate.bundle);
    if (statement === undefined) continue;
    if (typeof statement !== 'string' && !types.has(statement.predicateType)) continue;
    out.push({ candidate, statement });
  }
  return out;
}

export interface AttestationContext {
  roots: TrustRoots;
  now: () => number;
}

/** Every requirement of `rule` against the candidates found for `digest`. */
export function verifyAttestationRequirements(
  rule: VerifyAttestationsRule,
  candidates: readonly AttestationCandidate[],
  digest: string,
  ctx: AttestationContext,
): AttestationVerdict {
  const failures: string[] = [];
  let validUntil: number | undefined;
  for (const req of rule.attestations) {
    const types: readonly string[] = req.predicateTypes;
    const typed = candidates.filter((c) => typeof c.statement !== 'string' && types.includes(c.statement.predicateType));
    const label = requirementLabel(req);
    if (typed.length === 0) {
      failures.push(`attestation "${req.name}": no ${label} attestation (${req.predicateTypes.join(', ')}) found for ${digest}`);
      continue;
    }
    let only: string | undefined;
    const verdict = combineAttestorSets(req.attestors, (entry) => {
      const r = checkEntry(req, entry, typed, digest, ctx);
      if (r.until !== undefined) validUntil = validUntil === undefined ? r.until : Math.min(validUntil, r.until);
      if (r.problem !== undefined) only = `${r.problem} (attestation "${req.name}", ${entry.type} attestor "${entry.name}")`;
      return r.problem;
    });
    if (verdict.verified) continue;
    // One signer (the common case): the failed condition first, so even a shortened warning shows it.
    const single = req.attestors.length === 1 && req.attestors[0].entries.length === 1;
    failures.push(single && only !== undefined ? only : `attestation "${req.name}": ${verdict.reason ?? 'not verified'}`);
  }
  if (failures.length > 0) return { verified: false, reason: failures.join('; ') };
  return validUntil === undefined ? { verified: true } : { verified: true, validUntil };
}

/** Whether one attestor entry meets one requirement (see the module comment). */
function checkEntry(
  req: AttestationRequirement,
  entry: Attestor,
  typed: readonly AttestationCandidate[],
  digest: string,
  ctx: AttestationContext,
): { problem?: string; until?: number } {
  // Signatures and identities as for image signatures; the statement's type was filtered above and
  // its subject is checked below (with a message that names both digests).
  const attestorCtx: AttestorContext = { roots: ctx.roots, acceptedPredicateTypes: req.predicateTypes };
  const now = ctx.now();
  const unverified: string[] = [];
  const otherDigest: string[] = [];
  const stale: string[] = [];
  const failed: string[] = [];
  let passed = 0;
  let until: number | undefined;
  for (const { candidate, statement } of typed) {
    if (typeof statement === 'string') continue;
    const subject = subjectProblem(statement, digest);
    // The statement's own subject decides whether the signature check may pass on it: verify against
    // the digest it names, then report a mismatch as such (not as a broken signature).
    const signedFor = subject === undefined ? digest : (statement.subjects[0]?.digest ?? digest);
    const why = verifyEntry(entry, [candidate], signedFor, attestorCtx);
    if (why !== undefined) {
      unverified.push(why);
      continue;
    }
    if (subject !== undefined) {
      otherDigest.push(subject);
      continue;
    }
    const fresh = freshness(req, statement, now);
    if (fresh.problem !== undefined) {
      stale.push(fresh.problem);
      continue;
    }
    const problem = conditionProblem(req, statement);
    if (problem !== undefined) {
      failed.push(problem);
      continue;
    }
    passed += 1;
    if (fresh.until !== undefined) until = until === undefined ? fresh.until : Math.min(until, fresh.until);
  }
  const unique = (xs: string[]): string => [...new Set(xs)].join('; ');
  if (failed.length > 0) return { problem: unique(failed) };
  if (passed > 0) return until === undefined ? {} : { until };
  if (stale.length > 0) return { problem: unique(stale) };
  if (otherDigest.length > 0) return { problem: unique(otherDigest) };
  return { problem: `no ${requirementLabel(req)} attestation verifies (${unique(unverified)})` };
}

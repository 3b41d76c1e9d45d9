/**
 * What the registry would say, declared in a PolicyTest fixture (`signatures`), as an ImageVerifier:
 * so a team tests its signature policies' scope, attestor sets, `count`, digest pinning and
 * failurePolicy offline.
 *
 *   signatures:
 *     "registry.acme.test/shop/api:1.4.2": { digest: "sha256:<64 hex>", verifiedBy: [ci-main] }
 *     "registry.acme.test/shop/worker:2.0.0": { digest: "sha256:<64 hex>", unsigned: true }
 *     "registry.acme.test/shop/cron:1.0.0": { error: "registry unreachable" }
 *
 * - A key is an image reference with a tag (`repo:tag`: `digest` is what the tag resolves to,
 *   required unless `error`), a digest (`repo@sha256:…`) or both. An image is looked up by its
 *   digest if it carries one (a pinned `repo:tag@sha256:…` is found through the digest, as the
 *   registry verifier ignores the tag then), otherwise by its tag (`latest` when none).
 * - `verifiedBy`: the names of attestor entries (of the bundle's verifyImages rules) that a
 *   signature of this digest verifies under; the rule's verdict combines them with the same code
 *   as the registry verifier (runtime/images/attestor-sets.ts: every set must pass, `count` of
 *   each set's entries, default all). `[]`: signed, but by none of them.
 * - `unsigned: true`: no signatures at all (the registry verifier's "unsigned" verdict).
 * - `error`: the registry fails (resolving and verifying): an evaluation error, so the policy's
 *   failurePolicy decides.
 * - An image the fixture does not declare is not checked: its rule is skipped (offline), as
 *   without a fixture. An image on a registry the rule does not name is refused, as online.
 *
 * Never loaded by `serve` (a test walks its import graph).
 */
import type { Bundle, VerifyImagesRule } from '../bundle';
import { isRecord } from '../engine/pod-view';
import { ImageReferenceError, parseImageReference, type ImageReference } from '../engine/image-ref';
import { RuleSkipped } from '../engine/rule-skipped';
import type { ImageVerdict, ImageVerifier } from '../engine/types';
import { combineAttestorSets, unsignedVerdict } from '../images/attestor-sets';
import { InputError } from './input';
import { checkRegistryAllowed, OFFLINE_SKIP_REASON, skipAttestations } from './offline-images';

export type DeclaredOutcome = { kind: 'verified'; verifiedBy: string[] } | { kind: 'unsigned' } | { kind: 'error'; message: string };

export interface DeclaredSignature {
  /** The key as written in the fixture. */
  image: string;
  ref: ImageReference;
  /** What the tag resolves to (or the key's digest); absent only for `error`. */
  digest?: string;
  outcome: DeclaredOutcome;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const FIELDS = ['digest', 'verifiedBy', 'unsigned', 'error'];

export const UNDECLARED_SKIP_REASON = `${OFFLINE_SKIP_REASON} (image not declared in the fixture's signatures)`;

function parseEntry(image: string, v: unknown, file: string): DeclaredSignature {
  const at = `signatures["${image}"]`;
  function fail(msg: string): never {
    throw new InputError(`${file}: ${at}: ${msg}`);
  }
  let ref: ImageReference;
  try {
    ref = parseImageReference(image);
  } catch (err) {
    if (err instanceof ImageReferenceError) fail(err.message);
    throw err;
  }
  if (ref.tag === undefined && ref.digest === undefined) fail('the key must name a tag (repo:tag) or a digest (repo@sha256:…)');
  if (!isRecord(v)) fail('must be an object with verifiedBy, unsigned or error');
  for (const k of Object.keys(v)) if (!FIELDS.includes(k)) fail(`unknown field "${k}" (known: ${FIELDS.join(', ')})`);
  const given = ['verifiedBy', 'unsigned', 'error'].filter((k) => v[k] !== undefined);
  if (given.length !== 1) fail(`give exactly one of verifiedBy, unsigned or error${given.length > 1 ? ` (got ${given.join(', ')})` : ''}`);
  let outcome: DeclaredOutcome;
  if (v.verifiedBy !== undefined) {
    if (!Array.isArray(v.verifiedBy) || !v.verifiedBy.every((x) => typeof x === 'string' && x !== '')) fail('verifiedBy must be a list of attestor names');
    outcome = { kind: 'verified', verifiedBy: [...new Set(v.verifiedBy as string[])] };
  } else if (v.unsigned !== undefined) {
    if (v.unsigned !== true) fail('unsigned must be true (for a signed image, give verifiedBy)');
    outcome = { kind: 'unsigned' };
  } else {
    if (typeof v.error !== 'string' || v.error.trim() === '') fail('error must be the registry error message');
    outcome = { kind: 'error', message: v.error };
  }
  let digest = ref.digest;
  if (v.digest !== undefined) {
    if (typeof v.digest !== 'string' || !DIGEST.test(v.digest)) fail(`digest must be sha256:<64 lowercase hex>, not ${JSON.stringify(v.digest)}`);
    if (digest !== undefined && digest !== v.digest) fail(`digest ${v.digest} differs from the key's digest ${digest}`);
    digest = v.digest;
  }
  if (digest === undefined && outcome.kind !== 'error') fail('digest is required: what the tag resolves to (sha256:<64 hex>)');
  const out: DeclaredSignature = { image, ref, outcome };
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** A fixture's `signatures` map, validated (names are checked against the bundle later). */
export function parseFixtureSignatures(v: unknown, file: string): DeclaredSignature[] {
  if (!isRecord(v)) throw new InputError(`${file}: signatures must map image references to what the registry says`);
  const out = Object.entries(v).map(([image, entry]) => parseEntry(image, entry, file));
  const seen = new Map<string, string>();
  for (const d of out) {
    const repo = `${d.ref.registry}/${d.ref.repository}`;
    const keys = [...(d.ref.tag !== undefined ? [`${repo}:${d.ref.tag}`] : []), ...(d.digest !== undefined ? [`${repo}@${d.digest}`] : [])];
    for (const k of keys) {
      const other = seen.get(k);
      if (other !== undefined) throw new InputError(`${file}: signatures["${d.image}"] declares ${k} again (already declared by "${other}")`);
      seen.set(k, d.image);
    }
  }
  return out;
}

/** Attestor entry names of every verifyImages rule in the bundle. */
function attestorNames(bundle: Bundle): Set<string> {
  const names = new Set<string>();
  for (const p of bundle.policies) {
    for (const r of p.rules) if (r.type === 'verifyImages') for (const set of r.attestors) for (const e of set.entries) names.add(e.name);
  }
  return names;
}

/** The verifier for one fixture; InputError when `verifiedBy` names an attestor no rule of `bundle` has. */
export function fixtureImageVerifier(declared: readonly DeclaredSignature[], bundle: Bundle, file: string): ImageVerifier {
  const known = attestorNames(bundle);
  for (const d of declared) {
    if (d.outcome.kind !== 'verified') continue;
    const unknown = d.outcome.verifiedBy.filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new InputError(
        `${file}: signatures["${d.image}"].verifiedBy: unknown attestor ${unknown.map((n) => `"${n}"`).join(', ')} (the bundle's signature rules name: ${[...known].sort().join(', ') || 'none'})`,
      );
    }
  }

  const lookup = (image: string): DeclaredSignature | undefined => {
    const ref = parseImageReference(image);
    const same = declared.filter((d) => d.ref.registry === ref.registry && d.ref.repository === ref.repository);
    if (ref.digest !== undefined) return same.find((d) => d.digest === ref.digest);
    const tag = ref.tag ?? 'latest';
    return same.find((d) => d.ref.tag === tag);
  };

  /** The declaration for `image`: skipped when there is none, thrown when it is a registry error. */
  const declaredFor = (image: string, rule: VerifyImagesRule): DeclaredSignature & { digest: string } => {
    checkRegistryAllowed(image, rule);
    const d = lookup(image);
    if (d === undefined) throw new RuleSkipped(UNDECLARED_SKIP_REASON);
    if (d.outcome.kind === 'error') throw new Error(`${d.outcome.message} (declared by the fixture)`);
    return d as DeclaredSignature & { digest: string };
  };

  return {
    resolveDigest(image, rule): Promise<string> {
      return Promise.resolve().then(() => {
        checkRegistryAllowed(image, rule);
        return parseImageReference(image).digest ?? declaredFor(image, rule).digest;
      });
    },
    verify(image, rule): Promise<ImageVerdict> {
      return Promise.resolve().then(() => {
        const d = declaredFor(image, rule);
        const outcome = d.outcome; // `error` was thrown by declaredFor
        const verdict =
          outcome.kind === 'verified'
            ? combineAttestorSets(rule.attestors, (entry) => (outcome.verifiedBy.includes(entry.name) ? undefined : "not in the fixture's verifiedBy"))
            : unsignedVerdict(d.digest);
        const out: ImageVerdict = { image, digest: d.digest, verified: verdict.verified };
        if (verdict.reason !== undefined) out.reason = verdict.reason;
        return out;
      });
    },
    // Fixtures declare signatures only: attestation rules are skipped offline, as without a fixture.
    verifyAttestations: skipAttestations,
  };
}

/** Container name → image of every container, init container and ephemeral container in `object` (any pod template depth). */
export function containerImages(object: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
      return;
    }
    if (!isRecord(v)) return;
    for (const [k, child] of Object.entries(v)) {
      if ((k === 'containers' || k === 'initContainers' || k === 'ephemeralContainers') && Array.isArray(child)) {
        for (const c of child) if (isRecord(c) && typeof c.name === 'string' && typeof c.image === 'string') out.set(c.name, c.image);
      } else {
        walk(child);
      }
    }
  };
  walk(object);
  return out;
}

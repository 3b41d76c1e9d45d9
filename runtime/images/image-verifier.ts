/**
 * `createImageVerifier`: the engine's ImageVerifier for real registries.
 *
 * - Only registries the rule names are contacted (`TransportPool.endpointFor` is the gate); an
 *   image on any other host is refused before any network I/O (RegistryNotAllowedError). With
 *   `rule.repository`, signatures are read from that repository instead of the image's, through
 *   the same gate, credentials and deadline; a repository on a host the rule does not name is
 *   refused before any I/O as well.
 * - Each call (`resolveDigest`, `verify`) runs under one deadline of `rule.requestTimeoutMs`
 *   (synth keeps it below the webhook timeout) that covers every registry request, retry and
 *   backoff it makes; the caller's signal also cancels it.
 * - Verdicts are cached by (repository@digest, hash of the rule's attestors and the trusted roots
 *   they use): successes for `cacheTtlSeconds`, failures only if `negativeCacheTtlSeconds` > 0,
 *   errors never. Concurrent checks of one key are coalesced.
 * - Registry failures reject (an error for the webhook's failurePolicy), never `verified: false`.
 * - `verifyAttestations` (verifyAttestations rules) works the same way — gate, repository,
 *   deadline, coalescing, cache — on the attestations of the digest (attestations.ts); a success
 *   is cached no longer than its freshest-needed statement stays within maxAge.
 */
import { createHash } from 'node:crypto';
import type { Trust, VerifyAttestationsRule, VerifyImagesRule } from '../bundle';
import { canonicalJson } from '../bundle';
import { parseImageReference, type ImageReference } from '../engine/image-ref';
import type { ImageVerdict, ImageVerifier } from '../engine/types';
import { attestationCandidates, verifyAttestationRequirements } from './attestations';
import { verifyAttestorSets, type AttestorContext } from './attestors';
import { RegistryAuth } from './auth';
import { createDeadline, raceSignal, type Deadline } from './deadline';
import { dockerConfigStore } from './docker-config';
import { COSIGN_SIGN_PREDICATE } from './payload';
import { RegistryClient } from './registry-client';
import { RegistryNotAllowedError } from './errors';
import { parseRepository } from './repository';
import { bundleSignatures, legacySignatures, type SignatureCandidate } from './signatures';
import { TransportPool } from './transport';
import { TrustRoots } from './trust-roots';
import { VerdictCache } from './verdict-cache';

/** A verdict as computed, before caching: `validUntil` bounds how long a success may be cached. */
type CachedVerdict = ImageVerdict & { validUntil?: number };

export interface ImageVerifierMetrics {
  cacheHit(): void;
  cacheMiss(): void;
}

export interface ImageVerifierOptions {
  /** A docker config JSON (mounted pull secret) with registry credentials. */
  dockerConfigPath?: string;
  /** `bundle.trust.trustedRoots`: named Sigstore trusted roots for air-gapped keyless checks. */
  trustedRoots?: Trust['trustedRoots'];
  metrics?: ImageVerifierMetrics;
  /** Clock for cache expiry (tests). */
  now?: () => Date;
  /** Maximum cached verdicts (default 10,000). */
  cacheMaxEntries?: number;
  /**
   * in-toto predicate types accepted as an image signature in a Sigstore bundle referrer
   * (default: cosign's `https://sigstore.dev/cosign/sign/v1`).
   */
  acceptedPredicateTypes?: readonly string[];
}

/** The rules whose checks contact registries. */
type RegistryRule = VerifyImagesRule | VerifyAttestationsRule;

export type ClosableImageVerifier = ImageVerifier & {
  verifyAttestations(image: string, rule: VerifyAttestationsRule, signal?: AbortSignal): Promise<ImageVerdict>;
  /** Destroy pooled sockets; later calls fail. */
  close(): void;
  /** Number of cached verdicts (for metrics and tests). */
  readonly cacheSize: number;
};

export function createImageVerifier(options: ImageVerifierOptions = {}): ClosableImageVerifier {
  const now = (): number => (options.now ? options.now().getTime() : Date.now());
  const pool = new TransportPool();
  const auth = new RegistryAuth(dockerConfigStore(options.dockerConfigPath), pool, now);
  const roots = new TrustRoots(options.trustedRoots ?? {});
  const cache = new VerdictCache<ImageVerdict>({ maxEntries: options.cacheMaxEntries ?? 10_000, now });
  const closing = new AbortController();
  const attestorCtx: AttestorContext = {
    roots,
    acceptedPredicateTypes: options.acceptedPredicateTypes ?? [COSIGN_SIGN_PREDICATE],
  };
  const ruleHashes = new WeakMap<RegistryRule, string>();

  /** What a verdict depends on: attestors (and conditions), the trusted roots they use, the repository. */
  const ruleHash = (rule: RegistryRule): string => {
    let h = ruleHashes.get(rule);
    if (!h) {
      const sets = rule.type === 'verifyImages' ? rule.attestors : rule.attestations.flatMap((a) => a.attestors);
      const rootNames = new Set<string>();
      for (const set of sets) for (const e of set.entries) if (e.trustedRoot) rootNames.add(e.trustedRoot);
      const usedRoots = [...rootNames].sort().map((n) => [n, options.trustedRoots?.[n] ?? null]);
      const basis: Record<string, unknown> =
        rule.type === 'verifyImages' ? { attestors: rule.attestors, roots: usedRoots } : { attestations: rule.attestations, roots: usedRoots };
      if (rule.repository !== undefined) basis.repository = rule.repository;
      h = createHash('sha256').update(canonicalJson(basis)).digest('hex');
      ruleHashes.set(rule, h);
    }
    return h;
  };

  const clientFor = (ref: ImageReference, rule: RegistryRule): RegistryClient =>
    new RegistryClient(pool.endpointFor(ref.registry, rule.registries), auth, pool);

  /** Where the signatures of `ref` live: the rule's repository (gated like image hosts), else next to the image. */
  const signaturesFor = (ref: ImageReference, rule: RegistryRule, imageClient: RegistryClient): { client: RegistryClient; repository: string } => {
    if (rule.repository === undefined) return { client: imageClient, repository: ref.repository };
    const loc = parseRepository(rule.repository);
    if (typeof loc === 'string') throw new RegistryNotAllowedError(`${loc}; nothing was contacted`);
    try {
      return { client: new RegistryClient(pool.endpointFor(loc.registry, rule.registries), auth, pool), repository: loc.repository };
    } catch (err) {
      if (!(err instanceof RegistryNotAllowedError)) throw err;
      const what = rule.type === 'verifyImages' ? 'signature' : 'attestation';
      throw new RegistryNotAllowedError(`${what} repository "${rule.repository}": ${err.message}`);
    }
  };

  async function withDeadline<T>(rule: RegistryRule, signal: AbortSignal | undefined, work: (d: Deadline) => Promise<T>): Promise<T> {
    const deadline = createDeadline(rule.requestTimeoutMs, [signal, closing.signal]);
    try {
      return await work(deadline);
    } finally {
      deadline.dispose();
    }
  }

  async function resolveDigest(image: string, rule: RegistryRule, signal?: AbortSignal): Promise<string> {
    const ref = parseImageReference(image);
    const client = clientFor(ref, rule); // refuses unconfigured registries before any I/O
    if (ref.digest) return ref.digest;
    return withDeadline(rule, signal, (d) => client.resolve(ref.repository, ref.tag ?? 'latest', d));
  }

  async function check(ref: ImageReference, digest: string, rule: VerifyImagesRule, image: string): Promise<ImageVerdict> {
    const client = clientFor(ref, rule);
    const sigs = signaturesFor(ref, rule, client);
    return withDeadline(rule, undefined, async (d) => {
      // A message-signature bundle signs the image manifest, read from the image's own repository.
      const manifest = (): Promise<Buffer | undefined> => client.manifest(ref.repository, digest, d).then((m) => m?.body);
      const [legacy, bundles] = await Promise.all([
        legacySignatures(sigs.client, sigs.repository, digest, d),
        bundleSignatures(sigs.client, sigs.repository, digest, d, manifest),
      ]);
      const candidates: SignatureCandidate[] = [...legacy, ...bundles];
      const verdict = verifyAttestorSets(rule.attestors, candidates, digest, attestorCtx);
      const out: ImageVerdict = { image, digest, verified: verdict.verified };
      if (verdict.reason !== undefined) out.reason = verdict.reason;
      return out;
    });
  }

  async function checkAttestations(ref: ImageReference, digest: string, rule: VerifyAttestationsRule, image: string): Promise<CachedVerdict> {
    const client = clientFor(ref, rule);
    const store = signaturesFor(ref, rule, client);
    return withDeadline(rule, undefined, async (d) => {
      const candidates = await attestationCandidates(store.client, store.repository, digest, d, rule);
      const verdict = verifyAttestationRequirements(rule, candidates, digest, { roots, now });
      const out: CachedVerdict = { image, digest, verified: verdict.verified };
      if (verdict.reason !== undefined) out.reason = verdict.reason;
      if (verdict.validUntil !== undefined) out.validUntil = verdict.validUntil;
      return out;
    });
  }

  /**
   * Gate (the image's registry and the rule's repository, before any network I/O), one deadline
   * for the whole call (resolving the tag, waiting for the shared check), cache and coalescing.
   */
  async function cachedCheck<R extends RegistryRule>(
    image: string,
    rule: R,
    signal: AbortSignal | undefined,
    kind: string,
    run: (ref: ImageReference, digest: string, rule: R, image: string) => Promise<CachedVerdict>,
  ): Promise<ImageVerdict> {
    const ref = parseImageReference(image);
    const client = clientFor(ref, rule);
    signaturesFor(ref, rule, client);
    return withDeadline(rule, signal, async (deadline) => {
      const digest = ref.digest ?? (await client.resolve(ref.repository, ref.tag ?? 'latest', deadline));
      const key = `${ref.registry}/${ref.repository}@${digest}|${kind}|${ruleHash(rule)}`;
      const hit = cache.get(key);
      if (hit) {
        options.metrics?.cacheHit();
        return { ...hit, image };
      }
      options.metrics?.cacheMiss();
      const shared = cache.coalesce(key, async () => {
        const { validUntil, ...verdict } = await run(ref, digest, rule, image);
        let ttl = (verdict.verified ? rule.cacheTtlSeconds : rule.negativeCacheTtlSeconds) * 1000;
        if (validUntil !== undefined) ttl = Math.min(ttl, validUntil - now());
        cache.set(key, verdict, ttl);
        return verdict;
      });
      const verdict = await raceSignal(shared, deadline.signal);
      return { ...verdict, image };
    });
  }

  const verify = (image: string, rule: VerifyImagesRule, signal?: AbortSignal): Promise<ImageVerdict> =>
    cachedCheck(image, rule, signal, 'signatures', check);

  const verifyAttestations = (image: string, rule: VerifyAttestationsRule, signal?: AbortSignal): Promise<ImageVerdict> =>
    cachedCheck(image, rule, signal, 'attestations', checkAttestations);

  return {
    resolveDigest,
    verify,
    verifyAttestations,
    close: () => {
      closing.abort(new Error('image verifier closed'));
      pool.close();
      cache.clear();
    },
    get cacheSize() {
      return cache.size;
    },
  };
}

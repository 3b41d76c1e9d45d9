import { createPublicKey } from 'node:crypto';
import type { Construct } from 'constructs';
import type { AttestorSet, IdentityMatcher, Registry, Target } from '../../runtime/bundle';
import { appContext } from '../app-context';
import type { Policy } from '../policy';
import { imageGlobScope } from '../../runtime/engine/image-ref';
import { checkPattern } from '../../runtime/engine/safe-regex';
import { repositoryProblem } from '../../runtime/images/repository';
import { globProblems } from './image-references';
import { PolicyRule, isPodTarget, type RuleSpec } from './policy-rule';

export interface VerifyImagesProps {
  /** Image globs this rule checks (others are left alone). Each glob must name an exact registry host. */
  readonly imageReferences: readonly string[];
  /** Globs excluded from the check (e.g. a vendor image signed elsewhere). */
  readonly skipImageReferences?: readonly string[];
  /**
   * Attestor sets: every set must pass; within a set, `count` of its entries (default all).
   * Use `keyAttestor()` / `keylessAttestor()` to build entries.
   */
  readonly attestors: readonly AttestorSet[];
  /**
   * Reject matching images that carry no valid signature.
   * @default true
   */
  readonly required?: boolean;
  /**
   * Rewrite `repo:tag` to `repo:tag@sha256:…` on Pods (mutating webhook), so what runs is what was
   * verified. Requires mode Enforce. Controllers are left alone unless `pinControllers` is set.
   * @default true
   */
  readonly mutateDigest?: boolean;
  /**
   * Opt-in: also pin (and require digests on) the pod templates of the policy's controllers
   * (Deployments, CronJobs, …). Off by default because Argo CD (or any GitOps tool) would then see
   * the live template differ from Git — drift on every sync — unless the manifests in Git are
   * already pinned. Controllers' images are verified either way.
   * @default false
   */
  readonly pinControllers?: boolean;
  /**
   * Require a digest on every matching Pod image in the validating webhook.
   * @default same as mutateDigest
   */
  readonly verifyDigest?: boolean;
  /**
   * Deadline per registry request, milliseconds. Must stay below the policy's webhook timeout.
   * @default min(5000, (timeoutSeconds - 1) * 1000)
   */
  readonly requestTimeoutMs?: number;
  /**
   * How long a successful verdict is cached, seconds.
   * @default 300
   */
  readonly cacheTtlSeconds?: number;
  /**
   * How long a failed verdict is cached, seconds (0 = not cached).
   * @default 0
   */
  readonly negativeCacheTtlSeconds?: number;
  /** The only registries this rule may contact (no other host is ever contacted). */
  readonly registries: readonly Registry[];
  /**
   * Read signatures from this repository instead of the image's own (cosign's COSIGN_REPOSITORY):
   * `host[:port]/path`, no tag or digest. Its host must be listed in `registries`.
   */
  readonly repository?: string;
}

/** A key-based (Cosign `--key`) attestor: a PEM public key. */
export function keyAttestor(
  name: string,
  publicKeyPem: string,
  options: { requireTlog?: boolean; trustedRoot?: string } = {},
): AttestorSet['entries'][number] {
  const a: AttestorSet['entries'][number] = { type: 'key', name, publicKey: publicKeyPem };
  if (options.requireTlog !== undefined) a.requireTlog = options.requireTlog;
  if (options.trustedRoot !== undefined) a.trustedRoot = options.trustedRoot;
  return a;
}

/** A keyless (Fulcio certificate identity) attestor. */
export function keylessAttestor(
  name: string,
  identities: readonly IdentityMatcher[],
  options: { trustedRoot?: string; tlogThreshold?: number; ctlogThreshold?: number } = {},
): AttestorSet['entries'][number] {
  const a: AttestorSet['entries'][number] = { type: 'keyless', name, identities: [...identities] };
  if (options.trustedRoot !== undefined) a.trustedRoot = options.trustedRoot;
  if (options.tlogThreshold !== undefined) a.tlogThreshold = options.tlogThreshold;
  if (options.ctlogThreshold !== undefined) a.ctlogThreshold = options.ctlogThreshold;
  return a;
}

const HOST = /^(localhost|\[[0-9a-fA-F:]+\]|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)(:[0-9]{1,5})?$/;
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

/**
 * The registry host a glob names, as the runtimes normalize it (`docker.io` for Docker Hub, `**`
 * for a leading `**`, which matches every registry), by the matcher's own normalization.
 */
export function globRegistryHost(glob: string): string {
  const scope = imageGlobScope(glob);
  if (scope !== undefined) return scope.registry ?? '**';
  // an invalid glob (refused anyway): the host as written
  const name = glob.split('@')[0];
  const first = name.split('/')[0];
  const rest = name.includes('/');
  if (rest && (first.includes('.') || first.includes(':') || first === 'localhost' || first.includes('*') || /[A-Z]/.test(first))) {
    const host = first.toLowerCase();
    return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
  }
  return 'docker.io';
}

/**
 * Validating and mutating: checks Cosign/Sigstore signatures of matching images against the
 * attestors and (on Pods) pins tags to the verified digest.
 */
export class VerifyImages extends PolicyRule {
  readonly ruleType = 'verifyImages' as const;
  private readonly props: VerifyImagesProps;

  constructor(scope: Policy, id: string, props: VerifyImagesProps) {
    super(scope, id);
    this.props = props;
  }

  get mutateDigest(): boolean {
    return this.props.mutateDigest ?? true;
  }

  private get requestTimeoutMs(): number {
    return this.props.requestTimeoutMs ?? Math.max(500, Math.min(5000, (this.policy.timeoutSeconds - 1) * 1000));
  }

  spec(): RuleSpec {
    const p = this.props;
    const s: RuleSpec = {
      type: 'verifyImages',
      imageReferences: [...p.imageReferences],
      attestors: p.attestors.map((set) => ({ ...set, entries: [...set.entries] })),
      required: p.required ?? true,
      mutateDigest: this.mutateDigest,
      verifyDigest: p.verifyDigest ?? this.mutateDigest,
      requestTimeoutMs: this.requestTimeoutMs,
      cacheTtlSeconds: p.cacheTtlSeconds ?? 300,
      negativeCacheTtlSeconds: p.negativeCacheTtlSeconds ?? 0,
      registries: p.registries.map((r) => ({ ...r })),
    };
    if (p.skipImageReferences !== undefined && p.skipImageReferences.length > 0) s.skipImageReferences = [...p.skipImageReferences];
    if (p.repository !== undefined && s.type === 'verifyImages') s.repository = p.repository;
    return s;
  }

  /** Controllers are verified but pinned only with `pinControllers` (pinning a template fights GitOps). */
  override specFor(target: Target): RuleSpec {
    const s = this.spec();
    if (isPodTarget(target) || s.type !== 'verifyImages' || this.props.pinControllers === true) return s;
    return { ...s, mutateDigest: false, verifyDigest: false };
  }

  protected override problems(): string[] {
    const p = this.props;
    const out: string[] = [];
    if (this.mutateDigest && this.policy.mode === 'Audit') {
      out.push(
        'digest pinning (mutateDigest) rewrites pods, which contradicts mode Audit (admit and warn only). Fix: set the policy mode to Enforce, or set mutateDigest: false while auditing.',
      );
    }
    if (p.pinControllers === true && !this.mutateDigest) {
      out.push('pinControllers has no effect without mutateDigest. Fix: enable mutateDigest or drop pinControllers.');
    }
    if (p.verifyDigest === true && !this.mutateDigest && p.required === false) {
      out.push('verifyDigest without mutateDigest and with required: false would deny tags it never pins. Fix: enable mutateDigest or drop verifyDigest.');
    }
    out.push(...registryRuleProblems(this.policy, p, this.requestTimeoutMs, 'signatures'));
    if (p.attestors.length === 0) out.push('attestors is empty. Fix: add at least one attestor set (keyAttestor / keylessAttestor).');
    out.push(...attestorSetProblems(this, p.attestors));
    return out;
  }
}

/** What a registry-contacting rule's props share: images, registries, repository, deadline. */
export interface RegistryRuleProps {
  readonly imageReferences: readonly string[];
  readonly skipImageReferences?: readonly string[];
  readonly registries: readonly Registry[];
  readonly repository?: string;
  readonly requestTimeoutMs?: number;
}

/**
 * The synth checks every rule that contacts registries shares (VerifyImages, VerifyAttestations):
 * globs name exact hosts that are in `registries`, registries are well-formed (TLS except on
 * loopback), the repository's host is in `registries`, the deadline is below the webhook timeout.
 */
export function registryRuleProblems(policy: Policy, p: RegistryRuleProps, requestTimeoutMs: number, what: string): string[] {
  const out: string[] = [];
  if (p.imageReferences.length === 0) out.push('imageReferences is empty, so nothing is verified. Fix: list the image globs to verify.');
  out.push(...globProblems('imageReferences', p.imageReferences), ...globProblems('skipImageReferences', p.skipImageReferences ?? []));
  const hosts = new Set(p.registries.map((r) => r.host));
  if (p.registries.length === 0) out.push('registries is empty: no registry may be contacted. Fix: list the registries the images come from.');
  for (const r of p.registries) {
    if (!HOST.test(r.host)) out.push(`registry host "${r.host}" is not a host[:port]. Fix: write e.g. "registry.example.com" (no scheme, no path).`);
    if (r.insecure === true && !LOOPBACK.test(r.host)) {
      out.push(`registry "${r.host}" is marked insecure (plain HTTP) but is not a loopback host. Fix: use TLS (add caPem for a private CA).`);
    }
    if (r.caPem !== undefined && !r.caPem.includes('-----BEGIN CERTIFICATE-----')) {
      out.push(`registry "${r.host}" caPem is not a PEM certificate. Fix: paste the CA certificate (BEGIN CERTIFICATE).`);
    }
  }
  for (const g of p.imageReferences) {
    const host = globRegistryHost(g);
    if (host.includes('*')) {
      out.push(`imageReferences "${g}" has a wildcard registry host; the runtime would contact any host an attacker names. Fix: name the registry host exactly.`);
    } else if (!hosts.has(host)) {
      out.push(`imageReferences "${g}" is served by registry "${host}", which is not in registries. Fix: add { host: "${host}" } to registries.`);
    }
  }
  if (p.repository !== undefined) {
    const why = repositoryProblem(p.repository, p.registries);
    if (why !== undefined) {
      out.push(`${why}: ${what} would be read from a host the rule may not contact. Fix: write host[:port]/path with a host listed in registries (or add that registry).`);
    }
  }
  if (p.requestTimeoutMs !== undefined && (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1)) {
    out.push(`requestTimeoutMs ${requestTimeoutMs} must be a positive integer. Fix: use e.g. 3000.`);
  }
  if (requestTimeoutMs >= policy.timeoutSeconds * 1000) {
    out.push(
      `requestTimeoutMs ${requestTimeoutMs} is not below the webhook timeout (${policy.timeoutSeconds}s), so a slow registry would time the webhook out. Fix: lower requestTimeoutMs or raise the policy's timeoutSeconds.`,
    );
  }
  return out;
}

/** Attestor-set problems (entries, count, distinct names, trusted roots, keys, identities); `where` names the list in messages. */
export function attestorSetProblems(scope: Construct, sets: readonly AttestorSet[], where = 'attestors'): string[] {
  const out: string[] = [];
  const roots = new Set(appContext(scope).trustedRootNames);
  sets.forEach((set, i) => {
    if (set.entries.length === 0) out.push(`${where}[${i}] has no entries. Fix: add an attestor.`);
    if (set.count !== undefined && (set.count < 1 || set.count > set.entries.length)) {
      out.push(`${where}[${i}].count ${set.count} is not between 1 and its ${set.entries.length} entries. Fix: lower count or add attestors.`);
    }
    const names = new Set<string>();
    for (const a of set.entries) {
      if (names.has(a.name)) out.push(`${where}[${i}] names "${a.name}" twice. Fix: give each attestor a distinct name.`);
      names.add(a.name);
      if (a.trustedRoot !== undefined && !roots.has(a.trustedRoot)) {
        out.push(`attestor "${a.name}" names trusted root "${a.trustedRoot}", which the app does not define. Fix: add it to PortcullisApp trustedRoots or remove trustedRoot.`);
      }
      if (a.type === 'key') {
        out.push(...keyProblems(a.name, a.publicKey));
        if (a.trustedRoot !== undefined && a.requireTlog !== true) {
          out.push(`attestor "${a.name}" names a trusted root but does not set requireTlog, so the root is never used. Fix: set requireTlog: true or drop trustedRoot.`);
        }
      } else {
        a.identities.forEach((id, j) => out.push(...identityProblems(`attestor "${a.name}" identities[${j}]`, id)));
      }
    }
  });
  return out;
}

function keyProblems(name: string, pem: string): string[] {
  if (/PRIVATE KEY/.test(pem)) {
    return [`attestor "${name}" holds a PRIVATE key; it would be published in the bundle. Fix: remove it now, rotate it, and use the public key (cosign public-key).`];
  }
  try {
    const key = createPublicKey(pem);
    const t = key.asymmetricKeyType;
    if (t !== 'ec' && t !== 'rsa' && t !== 'ed25519') return [`attestor "${name}" key type ${String(t)} is not supported. Fix: use ECDSA P-256/P-384, RSA or Ed25519.`];
    return [];
  } catch (err) {
    return [`attestor "${name}" publicKey is not a PEM public key (${(err as Error).message}). Fix: paste the output of "cosign public-key".`];
  }
}

function identityProblems(what: string, id: IdentityMatcher): string[] {
  const out: string[] = [];
  const subjects = [id.subject, id.subjectRegExp].filter((x) => x !== undefined).length;
  const issuers = [id.issuer, id.issuerRegExp].filter((x) => x !== undefined).length;
  if (subjects !== 1) out.push(`${what} must set exactly one of subject / subjectRegExp. Fix: name the signing identity (e.g. the CI workflow URL).`);
  if (issuers !== 1) out.push(`${what} must set exactly one of issuer / issuerRegExp; without one, any OIDC issuer is trusted. Fix: set issuer (e.g. https://token.actions.githubusercontent.com).`);
  for (const [k, re] of [['subjectRegExp', id.subjectRegExp], ['issuerRegExp', id.issuerRegExp]] as const) {
    if (re === undefined) continue;
    const why = checkPattern(re);
    if (why !== undefined) out.push(`${what}.${k} is refused by the engine: ${why}. Fix: correct or simplify the pattern.`);
  }
  return out;
}

/**
 * The bundle the server is serving, swapped atomically: a request reads one snapshot from start to
 * finish, a reload replaces the whole snapshot or nothing. A snapshot maps every webhook path to
 * the entry and the policies (in evaluation order) it serves.
 */
import { IMAGE_RULE_TYPES, loadBundle, webhookKeptNamespaces, withoutNativeRules, type LoadedBundle, type Policy, type Webhook } from '../bundle';
import type { AdmissionOperation, ImageVerifier } from '../engine/types';

export interface WebhookBinding {
  webhook: Webhook;
  policies: readonly Policy[];
  policyNames: readonly string[];
  /**
   * Validating paths with native rules the webhook keeps in some namespaces (a policy's
   * `webhookNamespaces`): the policies as evaluated for a request in each such namespace.
   */
  policiesIn?: ReadonlyMap<string, readonly Policy[]>;
  /** Any verifyImages or verifyAttestations rule: evaluation may call the registry and needs a deadline. */
  needsImages: boolean;
  /** Never evaluated besides the kube-* namespaces: the runtime's own namespace. */
  excludedNamespaces: readonly string[];
  /**
   * Validating paths: the whole bundle's policies, so a controller's template is judged as its Pods
   * will be after the Pod defaults other paths apply (engine/pod-defaults-relief.ts).
   */
  podDefaults?: readonly Policy[];
}

export interface BundleSnapshot {
  loaded: LoadedBundle;
  /** The image verifier built for this bundle's trust material (bundles with verifyImages rules). */
  images?: ImageVerifier;
  bindings: ReadonlyMap<string, WebhookBinding>;
  source: string;
  loadedAt: Date;
}

export function compileSnapshot(loaded: LoadedBundle, source: string, loadedAt = new Date()): BundleSnapshot {
  const byName = new Map(loaded.bundle.policies.map((p) => [p.name, p]));
  const bindings = new Map<string, WebhookBinding>();
  const excludedNamespaces = [loaded.bundle.metadata.runtimeNamespace];
  for (const webhook of loaded.bundle.webhooks) {
    // validateBundle guarantees that every referenced policy exists.
    const served = webhook.policies.map((name) => byName.get(name)!);
    const validating = webhook.type === 'validating';
    const policies = validating ? served.map((p) => withoutNativeRules(p)) : served;
    const binding: WebhookBinding = {
      webhook,
      policies,
      policyNames: webhook.policies,
      needsImages: policies.some((p) => p.rules.some((r) => IMAGE_RULE_TYPES.includes(r.type))),
      excludedNamespaces,
    };
    if (validating) {
      binding.podDefaults = loaded.bundle.policies;
      const kept = [...new Set(served.flatMap(webhookKeptNamespaces))];
      if (kept.length > 0) binding.policiesIn = new Map(kept.map((ns) => [ns, served.map((p) => withoutNativeRules(p, ns))]));
    }
    bindings.set(webhook.path, binding);
  }
  return { loaded, bindings, source, loadedAt };
}

/** Does the webhook entry's rules select this request (the API server's own matching)? */
export function webhookServes(
  webhook: Webhook,
  request: { resource: { group: string; resource: string }; subResource?: string | undefined; operation: AdmissionOperation },
): boolean {
  const sub = request.subResource ?? '';
  return webhook.rules.some(
    (rule) =>
      (rule.apiGroups.includes('*') || rule.apiGroups.includes(request.resource.group)) &&
      (rule.operations as readonly string[]).includes(request.operation) &&
      rule.resources.some((r) => resourceMatches(r, request.resource.resource, sub)),
  );
}

function resourceMatches(pattern: string, resource: string, sub: string): boolean {
  const slash = pattern.indexOf('/');
  const res = slash === -1 ? pattern : pattern.slice(0, slash);
  const patternSub = slash === -1 ? '' : pattern.slice(slash + 1);
  if (res !== '*' && res !== resource) return false;
  if (sub === '') return slash === -1;
  return patternSub === '*' || patternSub === sub;
}

export type ReloadResult =
  | { status: 'loaded'; snapshot: BundleSnapshot }
  | { status: 'unchanged'; snapshot: BundleSnapshot }
  | { status: 'refused'; reason: string };

export interface BundleStoreOptions {
  /** The hash the Deployment expects (PORTCULLIS_BUNDLE_HASH): any other bundle is refused. */
  expectedHash?: string;
  /** Builds the image verifier a newly loaded bundle needs (its trusted roots travel in the bundle). */
  imagesFor?: (snapshot: BundleSnapshot) => ImageVerifier | undefined;
}

export class BundleStore {
  private snapshot: BundleSnapshot | undefined;

  constructor(private readonly options: BundleStoreOptions = {}) {}

  current(): BundleSnapshot | undefined {
    return this.snapshot;
  }

  get expectedHash(): string | undefined {
    return this.options.expectedHash;
  }

  /** Validate `text` as a bundle and swap it in; an invalid bundle leaves the current one serving. */
  load(text: string | Buffer, source: string): ReloadResult {
    let loaded: LoadedBundle;
    try {
      loaded = loadBundle(text, this.options.expectedHash === undefined ? {} : { expectedHash: this.options.expectedHash });
    } catch (err) {
      return { status: 'refused', reason: err instanceof Error ? err.message : String(err) };
    }
    if (this.snapshot !== undefined && this.snapshot.loaded.hash === loaded.hash) {
      return { status: 'unchanged', snapshot: this.snapshot };
    }
    const next = compileSnapshot(loaded, source);
    if (this.options.imagesFor !== undefined && [...next.bindings.values()].some((b) => b.needsImages)) {
      const images = this.options.imagesFor(next);
      if (images !== undefined) next.images = images;
    }
    this.snapshot = next;
    return { status: 'loaded', snapshot: next };
  }
}

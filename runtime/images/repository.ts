/**
 * A rule's `repository`: where signatures (and attestations) are stored when not next to the image
 * (cosign's COSIGN_REPOSITORY, Kyverno's `repository`). It is `host[:port]/path` with an explicit
 * registry host, no tag and no digest, and that host must be one of the rule's `registries`: the
 * same gate as image hosts, so a repository can never make the runtime contact another host.
 * Pure: synth (constructs/rules) and the verifier (image-verifier.ts) share it.
 */
import type { Registry } from '../bundle';
import { ImageReferenceError, parseImageReference } from '../engine/image-ref';
import { normalizeRegistryKey } from './docker-config';

export interface RepositoryLocation {
  /** Registry host[:port] as image references name it (`docker.io` for Docker Hub). */
  registry: string;
  /** Repository path inside the registry. */
  repository: string;
}

/** The location `value` names, or why it is not a usable repository (no registry check). */
export function parseRepository(value: string): RepositoryLocation | string {
  const first = value.split('/')[0] ?? '';
  if (!value.includes('/') || !(first.includes('.') || first.includes(':') || first === 'localhost')) {
    return `repository "${value}" does not start with a registry host (e.g. registry.example.com/signatures/app)`;
  }
  try {
    const ref = parseImageReference(value);
    if (ref.tag !== undefined || ref.digest !== undefined) return `repository "${value}" carries a tag or digest; name the repository only`;
    return { registry: ref.registry, repository: ref.repository };
  } catch (err) {
    if (err instanceof ImageReferenceError) return `repository "${value}" is not a valid repository name (${err.reason})`;
    throw err;
  }
}

/** Whether `host` is one of `registries` (after docker's normalization). */
export function registryConfigured(host: string, registries: readonly Registry[]): boolean {
  const wanted = normalizeRegistryKey(host);
  return registries.some((r) => normalizeRegistryKey(r.host) === wanted);
}

/** Why `value` cannot be used as the rule's repository (invalid, or its host is not allowed); undefined when it can. */
export function repositoryProblem(value: string, registries: readonly Registry[]): string | undefined {
  const loc = parseRepository(value);
  if (typeof loc === 'string') return loc;
  if (!registryConfigured(loc.registry, registries)) {
    return `repository "${value}" is on registry "${loc.registry}", which is not in the rule's registries (allowed: ${registries.map((r) => r.host).join(', ')})`;
  }
  return undefined;
}

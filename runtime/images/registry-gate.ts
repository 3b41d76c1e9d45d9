/**
 * The gate between an (attacker-chosen) image host and the network: only registries a rule names
 * may be contacted. Pure: the registry verifier (transport.ts `endpointFor`) and the offline
 * verifiers of `portcullis test` (runtime/cli/offline-images.ts) refuse the same images with the
 * same RegistryNotAllowedError, which verifyImages reports as a finding.
 */
import type { Registry } from '../bundle';
import { normalizeRegistryKey } from './docker-config';
import { RegistryNotAllowedError } from './errors';

/** The rule's entry for `host` (compared after docker's normalization), or RegistryNotAllowedError. */
export function configuredRegistry(host: string, registries: readonly Registry[]): Registry {
  const wanted = normalizeRegistryKey(host);
  const reg = registries.find((r) => normalizeRegistryKey(r.host) === wanted);
  if (!reg) {
    throw new RegistryNotAllowedError(
      `registry "${host}" is not configured for this rule (allowed: ${registries.map((r) => r.host).join(', ')}); it was not contacted`,
    );
  }
  return reg;
}

/**
 * The ImageVerifier `portcullis test` uses offline (without `--verify-images`): it contacts nothing
 * and checks no signature. An image on a registry the rule does not name is refused exactly as the
 * registry verifier refuses it (a finding, decided without the network); every other image the
 * rule selects is declined with RuleSkipped, so its rule reports `skip` ("offline: signatures not
 * checked") — neither an error nor a denial, and not pinned.
 *
 * Chosen explicitly by the CLI (test-command.ts, and fixture-images.ts for images a fixture does
 * not declare); the engine has no such default and `serve` never loads this module.
 */
import type { VerifyImagesRule } from '../bundle';
import { parseImageReference } from '../engine/image-ref';
import { RuleSkipped } from '../engine/rule-skipped';
import type { ImageVerdict, ImageVerifier } from '../engine/types';
import { configuredRegistry } from '../images/registry-gate';

export const OFFLINE_SKIP_REASON = 'offline: signatures not checked';
export const OFFLINE_ATTESTATIONS_SKIP_REASON = 'offline: attestations not checked';

/** Refuses (RegistryNotAllowedError) an image whose registry `rule` does not name, as the registry verifier does. */
export function checkRegistryAllowed(image: string, rule: Pick<VerifyImagesRule, 'registries'>): void {
  configuredRegistry(parseImageReference(image).registry, rule.registries);
}

export function offlineImageVerifier(reason: string = OFFLINE_SKIP_REASON): ImageVerifier {
  return {
    resolveDigest(image, rule): Promise<string> {
      return Promise.resolve().then(() => {
        checkRegistryAllowed(image, rule);
        const digest = parseImageReference(image).digest;
        if (digest !== undefined) return digest;
        throw new RuleSkipped(reason);
      });
    },
    verify(image, rule): Promise<ImageVerdict> {
      return Promise.resolve().then(() => {
        checkRegistryAllowed(image, rule);
        throw new RuleSkipped(reason);
      });
    },
    verifyAttestations: skipAttestations,
  };
}

/** verifyAttestations offline: refused as online when the registry is not the rule's, else skipped. */
export function skipAttestations(image: string, rule: Pick<VerifyImagesRule, 'registries'>): Promise<ImageVerdict> {
  return Promise.resolve().then(() => {
    checkRegistryAllowed(image, rule);
    throw new RuleSkipped(OFFLINE_ATTESTATIONS_SKIP_REASON);
  });
}

/**
 * runtime/images: OCI registry client, Cosign/Sigstore signature verification and the verdict
 * cache behind the engine's `ImageVerifier` interface. See `image-verifier.ts`.
 */
export { createImageVerifier } from './image-verifier';
export type { ClosableImageVerifier, ImageVerifierMetrics, ImageVerifierOptions } from './image-verifier';
export { DeadlineError, ImageConfigError, RegistryError, RegistryNotAllowedError } from './errors';
export { verifyAttestorSets, verifyEntry } from './attestors';
export type { AttestorContext, AttestorVerdict } from './attestors';
export { TrustRoots, publicGoodTrustedRoot } from './trust-roots';
export { COSIGN_SIGN_PREDICATE } from './payload';
export type { BundleSignature, LegacySignature, RekorBundle, SignatureCandidate } from './signatures';

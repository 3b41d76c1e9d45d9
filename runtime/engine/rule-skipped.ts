/**
 * A rule deliberately not judged: reported as result `skip` with a reason (`Decision.skipped`),
 * neither a verdict nor an error, so it never denies.
 *
 * Only an ImageVerifier may cause it, by throwing RuleSkipped from `resolveDigest` or `verify`, and
 * only the offline verifiers that `portcullis test` chooses do (runtime/cli/offline-images.ts:
 * "offline: signatures not checked"). The engine has no default that skips: without a verifier,
 * verifyImages is an error, and the server's verifier (runtime/images) never throws this — at
 * admission a signature is checked or the webhook's failurePolicy decides.
 */
export class RuleSkipped extends Error {
  override readonly name = 'RuleSkipped';
}

/**
 * Certificate identity matching for keyless attestors, done here rather than by @sigstore/verify
 * (which treats the expected subject as an UNANCHORED regular expression): `subject`/`issuer` are
 * exact string comparisons; `subjectRegExp`/`issuerRegExp` are anchored (`^(?:…)$`), so
 * `…@refs/heads/main` never accepts `…@refs/heads/main-unreviewed`.
 */
import type { IdentityMatcher } from '../bundle';
import { compileAnchoredPattern } from '../engine/safe-regex';
import { ImageConfigError } from './errors';

export interface SignerIdentity {
  subject?: string;
  issuer?: string;
}

/**
 * Longest subject/issuer a regex matcher is run against. Patterns are screened by safe-regex, but
 * up to four unbounded quantifiers still cost ~n^4 steps on a hostile value, and the signer's SAN
 * is chosen by whoever obtained the certificate. Real CI and e-mail identities are far shorter;
 * a longer value never matches a regex matcher (exact matchers have no cap).
 */
export const MAX_REGEX_IDENTITY_LENGTH = 256;

const compiled = new Map<string, RegExp>();

export function anchored(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) {
    try {
      // Anchored, and refused if it could backtrack super-linearly (the engine's one regex policy).
      re = compileAnchoredPattern(source);
    } catch (err) {
      throw new ImageConfigError(`invalid identity regular expression ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
    if (compiled.size > 1024) compiled.clear();
    compiled.set(source, re);
  }
  return re;
}

function fieldMatches(exact: string | undefined, pattern: string | undefined, actual: string | undefined): boolean {
  if (exact === undefined && pattern === undefined) return true;
  if (actual === undefined) return false;
  if (exact !== undefined && actual !== exact) return false;
  if (pattern !== undefined && (actual.length > MAX_REGEX_IDENTITY_LENGTH || !anchored(pattern).test(actual))) return false;
  return true;
}

/** Does the signer match this matcher? A matcher must name a subject (exact or regex). */
export function identityMatches(matcher: IdentityMatcher, signer: SignerIdentity): boolean {
  if (matcher.subject === undefined && matcher.subjectRegExp === undefined) {
    throw new ImageConfigError('a keyless identity must set subject or subjectRegExp');
  }
  return (
    fieldMatches(matcher.subject, matcher.subjectRegExp, signer.subject) &&
    fieldMatches(matcher.issuer, matcher.issuerRegExp, signer.issuer)
  );
}

export function describeIdentity(signer: SignerIdentity): string {
  return `subject ${JSON.stringify(signer.subject ?? '')}, issuer ${JSON.stringify(signer.issuer ?? '')}`;
}

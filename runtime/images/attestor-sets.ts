/**
 * How a rule's attestor sets combine into one verdict, given whether each entry verified: every
 * set must pass (AND); within a set, `count` of its entries (default: all; a count above the
 * number of entries means all of them). Pure and free of I/O and crypto, so the registry verifier
 * (attestors.ts: an entry verified when some signature verifies under it) and the PolicyTest
 * fixture verifier (runtime/cli/fixture-images.ts: an entry verified when the fixture lists it in
 * `verifiedBy`) give the same verdicts and the same reasons.
 */
import type { Attestor, AttestorSet } from '../bundle';

export interface AttestorVerdict {
  verified: boolean;
  reason?: string;
}

/**
 * `check(entry)`: undefined when the entry verified, otherwise why it did not. Every entry of every
 * set is checked, in order, so the reasons are complete; a `check` that throws (configuration
 * problems) aborts the verdict.
 */
export function combineAttestorSets(sets: readonly AttestorSet[], check: (entry: Attestor) => string | undefined): AttestorVerdict {
  const failures: string[] = [];
  sets.forEach((set, i) => {
    const required = Math.min(set.count ?? set.entries.length, set.entries.length);
    const reasons: string[] = [];
    let passed = 0;
    for (const entry of set.entries) {
      const why = check(entry);
      if (why === undefined) passed += 1;
      else reasons.push(`${entry.type} attestor "${entry.name}": ${why}`);
    }
    if (passed < required) {
      failures.push(`attestor set ${i}: ${passed} of ${required} required attestors verified (${reasons.join('; ')})`);
    }
  });
  return failures.length === 0 ? { verified: true } : { verified: false, reason: failures.join('; ') };
}

/** The verdict for an image that carries no signature at all. */
export function unsignedVerdict(digest: string): AttestorVerdict {
  return { verified: false, reason: `no signatures found for ${digest} (unsigned)` };
}

/** Webhook configuration and trusted-root changes. */
import { canonicalJson, type Bundle, type Webhook } from '../bundle';
import { formatSelector } from './describe';
import { byName, setDiff, shortHash, sortedUnion } from './diff-helpers';
import type { Emit } from './diff-model';
import { code, codeList, wordList, type Segment } from './sentence';

function W(w: Webhook): Segment[] {
  return ['Webhook ', code(w.name)];
}

function resourcesOf(w: Webhook): string[] {
  return [...new Set(w.rules.flatMap((r) => r.resources))].sort();
}
function operationsOf(w: Webhook): string[] {
  return [...new Set(w.rules.flatMap((r) => r.operations))].sort();
}

/**
 * `movedToNative`: rules moved into the API server in this change, so a validating webhook receiving
 * less is expected (those rules are enforced there) and reported as neutral, not looser.
 */
export function diffWebhooks(o: readonly Webhook[], n: readonly Webhook[], emit: Emit, movedToNative = false): void {
  const ow = byName(o);
  const nw = byName(n);
  for (const name of sortedUnion(ow.keys(), nw.keys())) {
    const a = ow.get(name);
    const b = nw.get(name);
    const we: Emit = (kind, direction, sentence, where) => emit(kind, direction, sentence, { webhook: name, ...where });
    if (a === undefined && b !== undefined) {
      we('webhook-added', 'neutral', [
        ...W(b),
        ` (${b.type}, path `,
        code(b.path),
        `, failurePolicy ${b.failurePolicy}, timeout ${b.timeoutSeconds}s) is added for ${wordList(resourcesOf(b))} (${wordList(operationsOf(b))}), serving policies `,
        ...codeList(b.policies),
        '.',
      ]);
    } else if (a !== undefined && b === undefined) {
      we('webhook-removed', 'neutral', [...W(a), ` (${a.type}, path `, code(a.path), ') is removed.']);
    } else if (a !== undefined && b !== undefined) {
      if (a.failurePolicy !== b.failurePolicy) {
        we('failure-policy-changed', b.failurePolicy === 'Fail' ? 'stricter' : 'looser', [
          ...W(b),
          ` failurePolicy changes from ${a.failurePolicy} to ${b.failurePolicy}: when the webhook cannot answer, requests are now ${b.failurePolicy === 'Fail' ? 'denied' : 'admitted unchecked'}.`,
        ]);
      }
      if (a.timeoutSeconds !== b.timeoutSeconds) we('timeout-changed', 'neutral', [...W(b), ` timeout changes from ${a.timeoutSeconds}s to ${b.timeoutSeconds}s.`]);
      if (a.path !== b.path) we('webhook-changed', 'neutral', [...W(b), ' moves from path ', code(a.path), ' to ', code(b.path), '.']);
      for (const [field, what] of [
        ['namespaceSelector', 'namespaces'],
        ['objectSelector', 'objects'],
      ] as const) {
        if (canonicalJson(a[field] ?? {}) !== canonicalJson(b[field] ?? {})) {
          we('webhook-changed', 'neutral', [...W(b), ` now receives ${what} selected by `, code(formatSelector(b[field])), ' instead of ', code(formatSelector(a[field])), '.']);
        }
      }
      // What a mutating webhook receives changes what is rewritten, not what is admitted (the
      // rules' own changes say that), so its scope changes are neutral.
      const mutating = b.type === 'mutating';
      const less = mutating || movedToNative ? 'neutral' : 'looser';
      const why = movedToNative && !mutating ? ' (rules moved into the API server, see above)' : '';
      const [ra, rr] = setDiff(resourcesOf(a), resourcesOf(b));
      if (ra.length > 0) we('webhook-changed', mutating ? 'neutral' : 'stricter', [...W(b), ` now also receives ${wordList(ra)}.`]);
      if (rr.length > 0) we('webhook-changed', less, [...W(b), ` no longer receives ${wordList(rr)}${why}.`]);
      const [oa, or] = setDiff(operationsOf(a), operationsOf(b));
      if (oa.length > 0) we('webhook-changed', 'stricter', [...W(b), ` now also receives ${wordList(oa)} requests.`]);
      if (or.length > 0) we('webhook-changed', movedToNative ? 'neutral' : 'looser', [...W(b), ` no longer receives ${wordList(or)} requests${movedToNative ? ' (rules moved into the API server, see above)' : ''}.`]);
      const [pa, pr] = setDiff(a.policies, b.policies);
      if (pa.length > 0) we('webhook-changed', 'neutral', [...W(b), ' now serves policies ', ...codeList(pa), '.']);
      if (pr.length > 0) we('webhook-changed', 'neutral', [...W(b), ' no longer serves policies ', ...codeList(pr), '.']);
    }
  }
}

export function diffTrust(o: Bundle, n: Bundle, emit: Emit): void {
  const a = o.trust.trustedRoots;
  const b = n.trust.trustedRoots;
  for (const name of sortedUnion(Object.keys(a), Object.keys(b))) {
    if (!(name in a)) emit('trust-changed', 'neutral', ['Trusted root ', code(name), ' is added.']);
    else if (!(name in b)) emit('trust-changed', 'neutral', ['Trusted root ', code(name), ' is removed.']);
    else {
      const h1 = shortHash(a[name]);
      const h2 = shortHash(b[name]);
      if (h1 !== h2) {
        emit('trust-changed', 'neutral', [
          'Trusted root ',
          code(name),
          ` changes (${h1} → ${h2}): keyless signatures are now checked against different certificate authorities or logs.`,
        ]);
      }
    }
  }
}

/**
 * Rules moving between the webhook and a ValidatingAdmissionPolicy (a policy's `nativeRules`,
 * enforcement `native`/`hybrid`). A move changes where a rule is evaluated, not what it decides (the
 * compiled CEL is proven equal to the engine), so it is `neutral`; the sentence says what changes
 * for availability: in the API server a rule no longer depends on the webhook answering.
 */
import type { Policy } from '../bundle';
import { P, setDiff } from './diff-helpers';
import type { Emit } from './diff-model';
import { code, codeList } from './sentence';

/** The ValidatingAdmissionPolicy that carries a policy's native rules (runtime/native NATIVE_NAME_PREFIX). */
function vapName(policy: Policy): string {
  return `portcullis-${policy.name}`;
}

function rulesWord(rules: readonly string[]): string {
  return rules.length === 1 ? ' rule ' : ' rules ';
}

/** The verb agreeing with the rule count: `moves`/`move`, `runs`/`run`. */
function verb(rules: readonly string[], singular: string): string {
  return rules.length === 1 ? singular : singular.replace(/s$/, '');
}

/** The native rules of a policy that is added, as one sentence (none when it has none). */
export function nativeRulesAdded(p: Policy, emit: Emit): void {
  const rules = p.nativeRules ?? [];
  if (rules.length === 0) return;
  emit('enforcement-moved', 'neutral', [
    ...P(p),
    rulesWord(rules),
    ...codeList(rules),
    ` ${verb(rules, 'runs')} as the ValidatingAdmissionPolicy `,
    code(vapName(p)),
    ' inside the API server (Kubernetes 1.30+), not on the webhook.',
  ]);
}

/** Rules that move to or from the API server between two versions of a policy. */
export function diffNativeRules(o: Policy, n: Policy, emit: Emit): void {
  const [toNative, toWebhook] = setDiff(o.nativeRules ?? [], n.nativeRules ?? []);
  if (toNative.length > 0) {
    emit('enforcement-moved', 'neutral', [
      ...P(n),
      rulesWord(toNative),
      ...codeList(toNative),
      ` ${verb(toNative, 'moves')} from the webhook to the ValidatingAdmissionPolicy `,
      code(vapName(n)),
      ` inside the API server (Kubernetes 1.30+): same verdicts and messages, but enforced even when the webhook is down or slow (until now failurePolicy ${o.failurePolicy} decided then).`,
    ]);
  }
  if (toWebhook.length > 0) {
    emit('enforcement-moved', 'neutral', [
      ...P(n),
      rulesWord(toWebhook),
      ...codeList(toWebhook),
      ` ${verb(toWebhook, 'moves')} from the ValidatingAdmissionPolicy back to the webhook: same verdicts and messages, but when the webhook cannot answer, failurePolicy ${n.failurePolicy} decides (${n.failurePolicy === 'Fail' ? 'denied' : 'admitted unchecked'}).`,
    ]);
  }
}

/** Native rules the webhook keeps in some namespaces (expiring exemptions): changes of those namespaces. */
export function diffWebhookNamespaces(o: Policy, n: Policy, emit: Emit): void {
  const before = o.webhookNamespaces ?? {};
  const after = n.webhookNamespaces ?? {};
  for (const rule of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = (o.nativeRules ?? []).includes(rule) ? (before[rule] ?? []) : [];
    const b = (n.nativeRules ?? []).includes(rule) ? (after[rule] ?? []) : [];
    if (a.join('\n') === b.join('\n') || !(n.nativeRules ?? []).includes(rule)) continue;
    emit('enforcement-moved', 'neutral', [
      ...P(n),
      ' rule ',
      code(rule),
      b.length === 0
        ? ' is now enforced natively in every namespace (no expiring exemption keeps one on the webhook).'
        : ` stays on the webhook in namespace${b.length === 1 ? '' : 's'} ${b.join(', ')} (its expiring exemptions end on time only there: CEL has no clock); the API server enforces it elsewhere.`,
    ]);
  }
}

/** Did any rule move into the API server (so webhooks receiving less is expected, not looser)? */
export function anyMovedToNative(oldPolicies: readonly Policy[], newPolicies: readonly Policy[]): boolean {
  const before = new Set(oldPolicies.flatMap((p) => (p.nativeRules ?? []).map((r) => `${p.name}/${r}`)));
  return newPolicies.some((p) => (p.nativeRules ?? []).some((r) => !before.has(`${p.name}/${r}`)));
}

/**
 * What enforcement changes between two rule bundles, in words. Pure: two validated bundles and a
 * clock in, a list of changes out. Each change says which way it moves enforcement:
 * `stricter` (more requests denied / fewer relieved), `looser` (fewer denied / more relieved) or
 * `neutral` (a change a reviewer should see whose direction depends on context, e.g. a new key).
 * Autogen rules (expanded from a Pod rule for controllers) are folded into the rule they came from,
 * so one change to a Pod rule reads as one sentence, not one per controller.
 */
import { bundleHash, canonicalJson, type Bundle, type LabelSelector, type Policy } from '../bundle';
import { describeRule, formatSelector } from './describe';
import { diffExemptions, exemptionAdded } from './diff-exemptions';
import { anyMovedToNative, diffNativeRules, diffWebhookNamespaces, nativeRulesAdded } from './diff-native';
import { byName, P, setDiff, sortedUnion } from './diff-helpers';
import type { BundleDiff, DiffOptions, Direction, EnforcementChange, Emit } from './diff-model';
import { baseRules, diffRules } from './diff-rules';
import { diffTrust, diffWebhooks } from './diff-webhooks';
import { code, codeList, toText, wordList } from './sentence';

export type { BundleDiff, ChangeKind, DiffOptions, Direction, EnforcementChange } from './diff-model';

export function diffBundles(oldBundle: Bundle, newBundle: Bundle, options: DiffOptions): BundleDiff {
  const changes: EnforcementChange[] = [];
  const emit =
    (base: Partial<EnforcementChange>): Emit =>
    (kind, direction, sentence, where = {}) => {
      const change: EnforcementChange = { kind, direction, ...base, ...where, sentence };
      const text = toText(sentence);
      if (!changes.some((c) => c.policy === change.policy && toText(c.sentence) === text)) changes.push(change);
    };

  if (oldBundle.metadata.runtimeNamespace !== newBundle.metadata.runtimeNamespace) {
    emit({})('bundle-changed', 'neutral', [
      'The runtime moves from namespace ',
      code(oldBundle.metadata.runtimeNamespace),
      ' to ',
      code(newBundle.metadata.runtimeNamespace),
      ' (always excluded from admission).',
    ]);
  }

  const oldPolicies = byName(oldBundle.policies);
  const newPolicies = byName(newBundle.policies);
  for (const name of sortedUnion(oldPolicies.keys(), newPolicies.keys())) {
    const o = oldPolicies.get(name);
    const n = newPolicies.get(name);
    const e = emit({ policy: name });
    if (o === undefined && n !== undefined) policyAdded(n, e, options);
    else if (o !== undefined && n === undefined) policyRemoved(o, e);
    else if (o !== undefined && n !== undefined) diffPolicy(o, n, e, options);
  }

  diffWebhooks(oldBundle.webhooks, newBundle.webhooks, emit({}), anyMovedToNative(oldBundle.policies, newBundle.policies));
  diffTrust(oldBundle, newBundle, emit({}));

  const oldHash = bundleHash(oldBundle);
  const newHash = bundleHash(newBundle);
  const summary: Record<Direction, number> = { stricter: 0, looser: 0, neutral: 0 };
  for (const c of changes) summary[c.direction] += 1;
  return { oldHash, newHash, identical: oldHash === newHash, changes, summary };
}

// ---- policies -------------------------------------------------------------------------------


function policyAdded(p: Policy, emit: Emit, options: DiffOptions): void {
  const enforced = p.mode === 'Enforce';
  emit('policy-added', enforced ? 'stricter' : 'neutral', [
    ...P(p),
    ` is added in ${p.mode} mode (failurePolicy ${p.failurePolicy}, timeout ${p.timeoutSeconds}s) for ${wordList(kindsOf(p))}: `,
    enforced ? 'violations are denied.' : 'violations are admitted with a warning.',
  ]);
  for (const rule of baseRules(p.rules)) {
    emit('rule-added', enforced ? 'stricter' : 'neutral', [...P(p), ' rule ', code(rule.name), ' ', ...describeRule(rule), '.'], {
      rule: rule.name,
    });
  }
  nativeRulesAdded(p, emit);
  for (const ex of p.exemptions) exemptionAdded(p, ex, emit, options);
}

function policyRemoved(p: Policy, emit: Emit): void {
  emit('policy-removed', p.mode === 'Enforce' ? 'looser' : 'neutral', [
    ...P(p),
    ` (${p.mode}) is removed: nothing it checked is ${p.mode === 'Enforce' ? 'denied' : 'warned about'} any more.`,
  ]);
}

function kindsOf(p: Policy): string[] {
  return [...new Set([...p.match.kinds, ...p.controllers])];
}

function diffPolicy(o: Policy, n: Policy, emit: Emit, options: DiffOptions): void {
  if (o.mode !== n.mode) {
    if (n.mode === 'Enforce') {
      emit('mode-changed', 'stricter', [
        ...P(n),
        ' switches from Audit to Enforce: requests that violate it are now denied (until now they were admitted with a warning).',
      ]);
    } else {
      emit('mode-changed', 'looser', [
        ...P(n),
        ' switches from Enforce to Audit: requests that violate it are now admitted with a warning instead of denied.',
      ]);
    }
  }
  if (o.failurePolicy !== n.failurePolicy) {
    if (n.failurePolicy === 'Fail') {
      emit('failure-policy-changed', 'stricter', [
        ...P(n),
        ' now fails closed (failurePolicy Ignore → Fail): requests are denied when it cannot be evaluated (webhook down, registry unreachable).',
      ]);
    } else {
      emit('failure-policy-changed', 'looser', [
        ...P(n),
        ' now fails open (failurePolicy Fail → Ignore): requests are admitted unchecked when it cannot be evaluated (webhook down, registry unreachable).',
      ]);
    }
  }
  if (o.timeoutSeconds !== n.timeoutSeconds) {
    emit('timeout-changed', 'neutral', [...P(n), ` timeout changes from ${o.timeoutSeconds}s to ${n.timeoutSeconds}s.`]);
  }
  diffScope(o, n, emit);
  diffRules(o, n, emit);
  diffNativeRules(o, n, emit);
  diffWebhookNamespaces(o, n, emit);
  diffExemptions(o, n, emit, options);
  if ((o.exemptionHelp ?? '') !== (n.exemptionHelp ?? '')) {
    emit('scope-changed', 'neutral', [
      ...P(n),
      ' tells denied developers to ask for exemptions at ',
      code(n.exemptionHelp ?? '(nowhere)'),
      ' instead of ',
      code(o.exemptionHelp ?? '(nowhere)'),
      '.',
    ]);
  }
}

function diffScope(o: Policy, n: Policy, emit: Emit): void {
  const list = (added: string[], removed: string[], what: string, addedDir: Direction, removedDir: Direction, verb: [string, string]) => {
    if (added.length > 0) emit('scope-changed', addedDir, [...P(n), ` ${verb[0]} ${what} ${wordList(added)}.`]);
    if (removed.length > 0) emit('scope-changed', removedDir, [...P(n), ` ${verb[1]} ${what} ${wordList(removed)}.`]);
  };
  const [ka, kr] = setDiff(o.match.kinds, n.match.kinds);
  list(ka, kr, 'kind', 'stricter', 'looser', ['now also applies to the', 'no longer applies to the']);
  const [ca, cr] = setDiff(o.controllers, n.controllers);
  list(ca, cr, 'controllers', 'stricter', 'looser', ['now also checks the pod templates of the', 'no longer checks the pod templates of the']);
  const [oa, or] = setDiff(o.match.operations, n.match.operations);
  list(oa, or, 'operations', 'stricter', 'looser', ['now also checks the', 'no longer checks the']);

  namespaceList(o.match.namespaces, n.match.namespaces, (added, removed, allBefore, allAfter) => {
    if (allBefore) emit('scope-changed', 'looser', [...P(n), ' now applies only in namespaces ', ...codeList(added), ' (it applied in every namespace).']);
    else if (allAfter) emit('scope-changed', 'stricter', [...P(n), ' now applies in every namespace (it applied only in ', ...codeList(removed), ').']);
    else {
      if (added.length > 0) emit('scope-changed', 'stricter', [...P(n), ' now also applies in namespaces ', ...codeList(added), '.']);
      if (removed.length > 0) emit('scope-changed', 'looser', [...P(n), ' no longer applies in namespaces ', ...codeList(removed), '.']);
    }
  });
  const [xa, xr] = setDiff(o.exclude?.namespaces ?? [], n.exclude?.namespaces ?? []);
  if (xa.length > 0) emit('scope-changed', 'looser', [...P(n), ' now excludes namespaces ', ...codeList(xa), '.']);
  if (xr.length > 0) emit('scope-changed', 'stricter', [...P(n), ' no longer excludes namespaces ', ...codeList(xr), '.']);
  selectorChange(o.match.namespaceSelector, n.match.namespaceSelector, 'namespaces', 'match', n, emit);
  selectorChange(o.match.objectSelector, n.match.objectSelector, 'objects', 'match', n, emit);
  selectorChange(o.exclude?.namespaceSelector, n.exclude?.namespaceSelector, 'namespaces', 'exclude', n, emit);
  selectorChange(o.exclude?.objectSelector, n.exclude?.objectSelector, 'objects', 'exclude', n, emit);
}

function selectorChange(
  o: LabelSelector | undefined,
  n: LabelSelector | undefined,
  what: 'namespaces' | 'objects',
  side: 'match' | 'exclude',
  p: Policy,
  emit: Emit,
): void {
  if (canonicalJson(o ?? {}) === canonicalJson(n ?? {})) return;
  const verb = side === 'match' ? 'applies to' : 'excludes';
  emit('scope-changed', 'neutral', [
    ...P(p),
    ` now ${verb} ${what} selected by `,
    code(formatSelector(n)),
    ' instead of ',
    code(formatSelector(o)),
    '.',
  ]);
}

/** Compare optional namespace lists where "absent" means every namespace. */
function namespaceList(
  o: readonly string[] | undefined,
  n: readonly string[] | undefined,
  report: (added: string[], removed: string[], allBefore: boolean, allAfter: boolean) => void,
): void {
  if (o === undefined && n === undefined) return;
  if (o === undefined) return report([...(n ?? [])].sort(), [], true, false);
  if (n === undefined) return report([], [...o].sort(), false, true);
  const [a, r] = setDiff(o, n);
  if (a.length > 0 || r.length > 0) report(a, r, false, false);
}

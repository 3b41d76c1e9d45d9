/**
 * What enforcement changes between two rule bundles, in words. Pure: two validated bundles and a
 * clock in, a list of changes out. Each change says which way it moves enforcement:
 * `stricter` (more requests denied / fewer relieved), `looser` (fewer denied / more relieved) or
 * `neutral` (a change a reviewer should see whose direction depends on context, e.g. a new key).
 * Autogen rules (expanded from a Pod rule for controllers) are folded into the rule they came from,
 * so one change to a Pod rule reads as one sentence, not one per controller.
 */
import { createHash } from 'node:crypto';
import {
  bundleHash,
  canonicalJson,
  type AttestorSet,
  type Bundle,
  type Exemption,
  type ExemptionControl,
  type LabelSelector,
  type Policy,
  type Rule,
  type Webhook,
} from '../bundle';
import { compareQuantities, parseQuantity } from '../engine/quantity';
import { describeAttestor, describeExemption, describeRule, formatSelector, identityText, keyFingerprint, targetName } from './describe';
import { code, codeList, toText, wordList, type Segment, type Sentence } from './sentence';

export type Direction = 'stricter' | 'looser' | 'neutral';

export type ChangeKind =
  | 'bundle-changed'
  | 'policy-added'
  | 'policy-removed'
  | 'mode-changed'
  | 'failure-policy-changed'
  | 'timeout-changed'
  | 'scope-changed'
  | 'rule-added'
  | 'rule-removed'
  | 'rule-changed'
  | 'signing-changed'
  | 'registries-changed'
  | 'exemption-added'
  | 'exemption-removed'
  | 'exemption-widened'
  | 'exemption-narrowed'
  | 'exemption-changed'
  | 'exemption-expired'
  | 'webhook-added'
  | 'webhook-removed'
  | 'webhook-changed'
  | 'trust-changed';

export interface EnforcementChange {
  kind: ChangeKind;
  direction: Direction;
  /** The policy concerned; absent for webhook, trust and bundle-level changes. */
  policy?: string;
  rule?: string;
  exemption?: string;
  webhook?: string;
  sentence: Sentence;
}

export interface BundleDiff {
  oldHash: string;
  newHash: string;
  identical: boolean;
  changes: EnforcementChange[];
  summary: Record<Direction, number>;
}

export interface DiffOptions {
  /** Clock for "has expired"; exemptions whose expiresAt is at or before it are reported as expired. */
  now: Date;
}

type Emit = (kind: ChangeKind, direction: Direction, sentence: Sentence, where?: Partial<EnforcementChange>) => void;

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

  diffWebhooks(oldBundle.webhooks, newBundle.webhooks, emit({}));
  diffTrust(oldBundle, newBundle, emit({}));

  const oldHash = bundleHash(oldBundle);
  const newHash = bundleHash(newBundle);
  const summary: Record<Direction, number> = { stricter: 0, looser: 0, neutral: 0 };
  for (const c of changes) summary[c.direction] += 1;
  return { oldHash, newHash, identical: oldHash === newHash, changes, summary };
}

// ---- policies -------------------------------------------------------------------------------

function P(policy: Policy): Segment[] {
  return ['Policy ', code(policy.name)];
}

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

// ---- rules ----------------------------------------------------------------------------------

/** The rules as the author wrote them: autogen rules are represented by the rule they came from. */
function baseRules(rules: readonly Rule[]): Rule[] {
  const seen = new Map<string, Rule>();
  for (const r of rules) {
    const key = r.autogenFrom ?? r.name;
    const current = seen.get(key);
    if (current === undefined || (current.autogenFrom !== undefined && r.autogenFrom === undefined)) seen.set(key, r);
  }
  return [...seen.values()];
}

function groups(rules: readonly Rule[]): Map<string, Map<string, Rule>> {
  const out = new Map<string, Map<string, Rule>>();
  for (const r of rules) {
    const key = r.autogenFrom ?? r.name;
    const g = out.get(key) ?? new Map<string, Rule>();
    g.set(targetName(r.target), r);
    out.set(key, g);
  }
  return out;
}

function diffRules(o: Policy, n: Policy, emit: Emit): void {
  const og = groups(o.rules);
  const ng = groups(n.rules);
  const enforced = n.mode === 'Enforce';
  for (const name of sortedUnion(og.keys(), ng.keys())) {
    const before = og.get(name);
    const after = ng.get(name);
    const re: Emit = (kind, direction, sentence, where) => emit(kind, direction, sentence, { rule: name, ...where });
    if (before === undefined && after !== undefined) {
      const rule = baseRules([...after.values()])[0];
      re('rule-added', enforced ? 'stricter' : 'neutral', [...P(n), ' gains rule ', code(name), ' which ', ...describeRule(rule), '.']);
    } else if (before !== undefined && after === undefined) {
      const rule = baseRules([...before.values()])[0];
      re('rule-removed', o.mode === 'Enforce' ? 'looser' : 'neutral', [
        ...P(n),
        ' loses rule ',
        code(name),
        ' which ',
        ...describeRule(rule),
        '.',
      ]);
    } else if (before !== undefined && after !== undefined) {
      for (const target of sortedUnion(before.keys(), after.keys())) {
        const a = before.get(target);
        const b = after.get(target);
        if (a !== undefined && b !== undefined) diffRule(n, name, a, b, re);
      }
    }
  }
}

function R(p: Policy, rule: string): Segment[] {
  return ['Rule ', code(`${p.name}/${rule}`)];
}

function diffRule(p: Policy, name: string, o: Rule, n: Rule, outer: Emit): void {
  if (canonicalJson(withoutIdentity(o)) === canonicalJson(withoutIdentity(n))) return;
  let emitted = 0;
  const emit: Emit = (...args) => {
    emitted += 1;
    outer(...args);
  };
  const r = R(p, name);
  if (o.type !== n.type) {
    emit('rule-changed', 'neutral', [...r, ` changes from a ${o.type} rule to a ${n.type} rule which `, ...describeRule(n), '.']);
    return;
  }
  switch (n.type) {
    case 'podSecurity': {
      const old = o as typeof n;
      if (old.level !== n.level) {
        emit('rule-changed', n.level === 'restricted' ? 'stricter' : 'looser', [
          ...r,
          ` now enforces the ${n.level} Pod Security Standard instead of ${old.level}.`,
        ]);
      }
      if (old.version !== n.version) {
        emit('rule-changed', 'neutral', [...r, ` now checks Pod Security Standard version ${n.version} instead of ${old.version}.`]);
      }
      break;
    }
    case 'verifyImages':
      diffVerifyImages(r, o as typeof n, n, emit);
      break;
    case 'defaultResources': {
      const old = o as typeof n;
      for (const side of ['requests', 'limits'] as const) {
        for (const res of ['cpu', 'memory'] as const) {
          const a = old[side][res];
          const b = n[side][res];
          if (a !== b) {
            emit('rule-changed', 'neutral', [
              ...r,
              ` now defaults the ${res} ${side === 'requests' ? 'request' : 'limit'} to `,
              code(b ?? '(nothing)'),
              ' instead of ',
              code(a ?? '(nothing)'),
              '.',
            ]);
          }
        }
      }
      break;
    }
    case 'requireResources': {
      const old = o as typeof n;
      for (const side of ['limits', 'requests'] as const) {
        const [added, removed] = setDiff(old[side], n[side]);
        if (added.length > 0) emit('rule-changed', 'stricter', [...r, ` now also requires ${wordList(added)} ${side}.`]);
        if (removed.length > 0) emit('rule-changed', 'looser', [...r, ` no longer requires ${wordList(removed)} ${side}.`]);
      }
      for (const res of ['cpu', 'memory'] as const) {
        const a = old.maxLimits?.[res];
        const b = n.maxLimits?.[res];
        if (a === b) continue;
        const dir: Direction =
          a === undefined ? 'stricter' : b === undefined ? 'looser' : compareQuantity(b, a) < 0 ? 'stricter' : compareQuantity(b, a) > 0 ? 'looser' : 'neutral';
        emit('rule-changed', dir, [
          ...r,
          ` ${res} limit ceiling changes from `,
          code(a ?? '(none)'),
          ' to ',
          code(b ?? '(none)'),
          '.',
        ]);
      }
      break;
    }
    case 'allowedRegistries': {
      const [added, removed] = setDiff((o as typeof n).allowed, n.allowed);
      if (added.length > 0) emit('registries-changed', 'looser', [...r, ' now also allows images from ', ...codeList(added), '.']);
      if (removed.length > 0) emit('registries-changed', 'stricter', [...r, ' no longer allows images from ', ...codeList(removed), '.']);
      break;
    }
    case 'hostPaths': {
      const old = new Map((o as typeof n).allowed.map((a) => [a.pathPrefix, a.readOnly]));
      const now = new Map(n.allowed.map((a) => [a.pathPrefix, a.readOnly]));
      for (const path of sortedUnion(old.keys(), now.keys())) {
        const a = old.get(path);
        const b = now.get(path);
        if (a === undefined && b !== undefined) {
          emit('rule-changed', 'looser', [...r, ' now allows hostPath volumes under ', code(path), b ? ' (read-only).' : ' (read-write).']);
        } else if (a !== undefined && b === undefined) {
          emit('rule-changed', 'stricter', [...r, ' no longer allows hostPath volumes under ', code(path), '.']);
        } else if (a !== b) {
          emit('rule-changed', b === true ? 'stricter' : 'looser', [
            ...r,
            ' now allows hostPath volumes under ',
            code(path),
            b === true ? ' read-only only (they could be mounted read-write).' : ' read-write (they had to be read-only).',
          ]);
        }
      }
      break;
    }
    case 'denyRuntimeSocket': {
      const [added, removed] = setDiff((o as typeof n).sockets, n.sockets);
      if (added.length > 0) emit('rule-changed', 'stricter', [...r, ' now also denies mounting ', ...codeList(added), '.']);
      if (removed.length > 0) emit('rule-changed', 'looser', [...r, ' no longer denies mounting ', ...codeList(removed), '.']);
      break;
    }
    case 'hostNamespaces': {
      const [added, removed] = setDiff((o as typeof n).deny, n.deny);
      if (added.length > 0) emit('rule-changed', 'stricter', [...r, ` now also denies ${wordList(added)}.`]);
      if (removed.length > 0) emit('rule-changed', 'looser', [...r, ` no longer denies ${wordList(removed)}.`]);
      break;
    }
    case 'requireLabels': {
      const old = new Map((o as typeof n).labels.map((l) => [l.key, l.valuePattern]));
      const now = new Map(n.labels.map((l) => [l.key, l.valuePattern]));
      for (const key of sortedUnion(old.keys(), now.keys())) {
        const had = old.has(key);
        const has = now.has(key);
        if (!had && has) emit('rule-changed', 'stricter', [...r, ' now also requires the label ', code(key), '.']);
        else if (had && !has) emit('rule-changed', 'looser', [...r, ' no longer requires the label ', code(key), '.']);
        else if (old.get(key) !== now.get(key)) {
          const b = now.get(key);
          const a = old.get(key);
          emit('rule-changed', a === undefined ? 'stricter' : b === undefined ? 'looser' : 'neutral', [
            ...r,
            ' now requires label ',
            code(key),
            ' to match ',
            code(b ?? '(anything)'),
            ' instead of ',
            code(a ?? '(anything)'),
            '.',
          ]);
        }
      }
      break;
    }
    case 'requireDigest':
    case 'disallowLatestTag':
    case 'defaultSeccomp':
      break;
  }
  if (emitted === 0) {
    const keys = changedKeys(withoutIdentity(o), withoutIdentity(n));
    emit('rule-changed', 'neutral', [...r, ` changes (${keys.join(', ')}): it now `, ...describeRule(n), '.']);
  }
}

function diffVerifyImages(
  r: Segment[],
  o: Extract<Rule, { type: 'verifyImages' }>,
  n: Extract<Rule, { type: 'verifyImages' }>,
  emit: Emit,
): void {
  const [ia, ir] = setDiff(o.imageReferences, n.imageReferences);
  if (ia.length > 0) emit('signing-changed', 'stricter', [...r, ' now also requires signatures on images matching ', ...codeList(ia), '.']);
  if (ir.length > 0) emit('signing-changed', 'looser', [...r, ' no longer requires signatures on images matching ', ...codeList(ir), '.']);
  const [sa, sr] = setDiff(o.skipImageReferences ?? [], n.skipImageReferences ?? []);
  if (sa.length > 0) emit('signing-changed', 'looser', [...r, ' now skips signature checks for images matching ', ...codeList(sa), '.']);
  if (sr.length > 0) emit('signing-changed', 'stricter', [...r, ' no longer skips signature checks for images matching ', ...codeList(sr), '.']);
  if (o.required !== n.required) {
    emit(
      'signing-changed',
      n.required ? 'stricter' : 'looser',
      n.required ? [...r, ' now denies unsigned images (it admitted them).'] : [...r, ' now admits unsigned images (it denied them).'],
    );
  }
  if (o.verifyDigest !== n.verifyDigest) {
    emit(
      'rule-changed',
      n.verifyDigest ? 'stricter' : 'looser',
      [...r, n.verifyDigest ? ' now requires a digest on every matching image.' : ' no longer requires a digest on matching images.'],
    );
  }
  if (o.mutateDigest !== n.mutateDigest) {
    emit('rule-changed', 'neutral', [...r, n.mutateDigest ? ' now pins image tags to digests.' : ' no longer pins image tags to digests.']);
  }
  diffAttestors(r, o.attestors, n.attestors, emit);
  const [ra, rr] = setDiff(
    o.registries.map((x) => x.host),
    n.registries.map((x) => x.host),
  );
  if (ra.length > 0) emit('registries-changed', 'neutral', [...r, ' may now contact registries ', ...codeList(ra), '.']);
  if (rr.length > 0) emit('registries-changed', 'neutral', [...r, ' no longer contacts registries ', ...codeList(rr), '.']);
  for (const host of intersection(o.registries.map((x) => x.host), n.registries.map((x) => x.host))) {
    const a = o.registries.find((x) => x.host === host);
    const b = n.registries.find((x) => x.host === host);
    if (a !== undefined && b !== undefined && canonicalJson(a) !== canonicalJson(b)) {
      const what: string[] = [];
      if ((a.insecure ?? false) !== (b.insecure ?? false)) what.push(b.insecure === true ? 'is now contacted over plain HTTP' : 'is now contacted over HTTPS');
      if ((a.caPem ?? '') !== (b.caPem ?? '')) what.push('has a different CA bundle');
      emit('registries-changed', 'neutral', [...r, ' registry ', code(host), ` ${wordList(what)}.`]);
    }
  }
  const timing: string[] = [];
  if (o.requestTimeoutMs !== n.requestTimeoutMs) timing.push(`registry request deadline ${o.requestTimeoutMs}ms → ${n.requestTimeoutMs}ms`);
  if (o.cacheTtlSeconds !== n.cacheTtlSeconds) timing.push(`verdict cache TTL ${o.cacheTtlSeconds}s → ${n.cacheTtlSeconds}s`);
  if (o.negativeCacheTtlSeconds !== n.negativeCacheTtlSeconds) {
    timing.push(`failure cache TTL ${o.negativeCacheTtlSeconds}s → ${n.negativeCacheTtlSeconds}s`);
  }
  if (timing.length > 0) emit('rule-changed', 'neutral', [...r, ` changes ${timing.join(', ')}.`]);
}

function diffAttestors(r: Segment[], o: readonly AttestorSet[], n: readonly AttestorSet[], emit: Emit): void {
  const sets = Math.max(o.length, n.length);
  for (let i = 0; i < sets; i += 1) {
    const a = o[i];
    const b = n[i];
    const label = sets > 1 ? ` (attestor set ${i + 1})` : '';
    if (a === undefined && b !== undefined) {
      emit('signing-changed', 'stricter', [
        ...r,
        ' now additionally requires a signature from ',
        ...b.entries.flatMap((e, j) => [j > 0 ? ' or ' : '', ...describeAttestor(e)]),
        '.',
      ]);
      continue;
    }
    if (a !== undefined && b === undefined) {
      emit('signing-changed', 'looser', [
        ...r,
        ' no longer requires a signature from ',
        ...a.entries.flatMap((e, j) => [j > 0 ? ' or ' : '', ...describeAttestor(e)]),
        '.',
      ]);
      continue;
    }
    if (a === undefined || b === undefined) continue;
    const needA = a.count ?? a.entries.length;
    const needB = b.count ?? b.entries.length;
    const allA = needA === a.entries.length;
    const allB = needB === b.entries.length;
    const oe = new Map(a.entries.map((e) => [e.name, e]));
    const ne = new Map(b.entries.map((e) => [e.name, e]));
    for (const name of sortedUnion(oe.keys(), ne.keys())) {
      const x = oe.get(name);
      const y = ne.get(name);
      if (x === undefined && y !== undefined) {
        emit(
          'signing-changed',
          allB ? 'stricter' : 'looser',
          allB
            ? [...r, label, ' now also requires a signature from ', ...describeAttestor(y), '.']
            : [...r, label, ' now also accepts signatures from ', ...describeAttestor(y), '.'],
        );
      } else if (x !== undefined && y === undefined) {
        emit(
          'signing-changed',
          allA ? 'looser' : 'stricter',
          allA
            ? [...r, label, ' no longer requires a signature from ', ...describeAttestor(x), '.']
            : [...r, label, ' no longer accepts signatures from ', ...describeAttestor(x), '.'],
        );
      } else if (x !== undefined && y !== undefined && canonicalJson(x) !== canonicalJson(y)) {
        diffAttestor(r, label, x, y, emit);
      }
    }
    if (needA !== needB && oe.size === ne.size) {
      emit('signing-changed', needB > needA ? 'stricter' : 'looser', [
        ...r,
        label,
        ` now needs ${needB} of ${b.entries.length} attestors to verify (it needed ${needA}).`,
      ]);
    }
  }
}

type AttestorEntry = AttestorSet['entries'][number];

function diffAttestor(r: Segment[], label: string, x: AttestorEntry, y: AttestorEntry, emit: Emit): void {
  const who: Segment[] = [...r, label, ' attestor ', code(y.name)];
  if (x.type !== y.type) {
    emit('signing-changed', 'neutral', [...who, ` changes from ${x.type}-based to ${y.type}: now `, ...describeAttestor(y), '.']);
    return;
  }
  if (x.type === 'key' && y.type === 'key') {
    if (keyFingerprint(x.publicKey) !== keyFingerprint(y.publicKey)) {
      emit('signing-changed', 'neutral', [
        ...who,
        ` changes its public key from ${keyFingerprint(x.publicKey)} to ${keyFingerprint(y.publicKey)}: signatures made with the old key no longer verify.`,
      ]);
    }
    if ((x.requireTlog ?? false) !== (y.requireTlog ?? false)) {
      emit('signing-changed', y.requireTlog === true ? 'stricter' : 'looser', [
        ...who,
        y.requireTlog === true ? ' now requires a transparency-log entry.' : ' no longer requires a transparency-log entry.',
      ]);
    }
    return;
  }
  if (x.type === 'keyless' && y.type === 'keyless') {
    const [added, removed] = setDiff(x.identities.map(identityText), y.identities.map(identityText));
    if (added.length > 0) emit('signing-changed', 'looser', [...who, ' now also accepts the signing identities ', ...codeList(added), '.']);
    if (removed.length > 0) emit('signing-changed', 'stricter', [...who, ' no longer accepts the signing identities ', ...codeList(removed), '.']);
    if ((x.trustedRoot ?? '') !== (y.trustedRoot ?? '')) {
      emit('signing-changed', 'neutral', [
        ...who,
        ' now trusts the root ',
        code(y.trustedRoot ?? 'sigstore public-good'),
        ' instead of ',
        code(x.trustedRoot ?? 'sigstore public-good'),
        '.',
      ]);
    }
    for (const [field, what] of [
      ['tlogThreshold', 'transparency-log entries'],
      ['ctlogThreshold', 'certificate-transparency SCTs'],
    ] as const) {
      const a = x[field] ?? 1;
      const b = y[field] ?? 1;
      if (a !== b) emit('signing-changed', b > a ? 'stricter' : 'looser', [...who, ` now requires ${b} ${what} (it required ${a}).`]);
    }
  }
}

// ---- exemptions -----------------------------------------------------------------------------

function X(p: Policy, e: Exemption): Segment[] {
  return ['Exemption ', code(e.name), ' of policy ', code(p.name)];
}

function expired(e: Exemption, now: Date): boolean {
  return e.expiresAt !== undefined && Date.parse(e.expiresAt) <= now.getTime();
}

function exemptionAdded(p: Policy, e: Exemption, emit: Emit, options: DiffOptions): void {
  const dead = expired(e, options.now);
  emit('exemption-added', dead ? 'neutral' : 'looser', [...X(p, e), ' is added: it ', ...describeExemption(e), dead ? '. It has already expired and relieves nothing.' : '.'], {
    exemption: e.name,
  });
}

function diffExemptions(o: Policy, n: Policy, emit: Emit, options: DiffOptions): void {
  const oe = byName(o.exemptions);
  const ne = byName(n.exemptions);
  for (const name of sortedUnion(oe.keys(), ne.keys())) {
    const a = oe.get(name);
    const b = ne.get(name);
    const ee: Emit = (kind, direction, sentence, where) => emit(kind, direction, sentence, { exemption: name, ...where });
    if (a === undefined && b !== undefined) exemptionAdded(n, b, ee, options);
    else if (a !== undefined && b === undefined) {
      ee('exemption-removed', expired(a, options.now) ? 'neutral' : 'stricter', [...X(n, a), ' is removed: what it relieved is checked again.']);
    } else if (a !== undefined && b !== undefined) {
      diffExemption(n, a, b, ee, options);
      if (expired(b, options.now)) {
        ee('exemption-expired', 'neutral', [
          ...X(n, b),
          ` expired on ${b.expiresAt ?? ''}: it no longer relieves anything; renew or remove it.`,
        ]);
      }
    }
  }
}

function diffExemption(p: Policy, a: Exemption, b: Exemption, emit: Emit, options: DiffOptions): void {
  const x = X(p, b);
  const widened = (s: Sentence) => emit('exemption-widened', 'looser', s);
  const narrowed = (s: Sentence) => emit('exemption-narrowed', 'stricter', s);
  if (a.controls.length > 0 && b.controls.length === 0) widened([...x, ' now relieves the whole policy (it relieved only some controls).']);
  else if (a.controls.length === 0 && b.controls.length > 0) narrowed([...x, ' now relieves only ', ...codeList(b.controls.map((c) => c.control)), ' (it relieved the whole policy).']);
  else {
    const ac = controlsByName(a.controls);
    const bc = controlsByName(b.controls);
    for (const control of sortedUnion(ac.keys(), bc.keys())) {
      const c1 = ac.get(control);
      const c2 = bc.get(control);
      if (c1 === undefined && c2 !== undefined) widened([...x, ' now also relieves ', code(control), '.']);
      else if (c1 !== undefined && c2 === undefined) narrowed([...x, ' no longer relieves ', code(control), '.']);
      else if (c1 !== undefined && c2 !== undefined) {
        const cx: Segment[] = [...x, ', control ', code(control), ', '];
        optionalList(c1.images, c2.images, 'images', cx, widened, narrowed);
        optionalList(c1.values, c2.values, `${c2.field ?? c1.field ?? 'field'} values`, cx, widened, narrowed);
        if (c1.field !== c2.field) {
          emit('exemption-changed', 'neutral', [...x, ', control ', code(control), ', now names field ', code(c2.field ?? '(any)'), ' instead of ', code(c1.field ?? '(any)'), '.']);
        }
      }
    }
  }
  optionalList(a.namespaces, b.namespaces, 'namespaces', [...x, ' '], widened, narrowed);
  for (const [field, what] of [
    ['namespaceSelector', 'namespaces'],
    ['objectSelector', 'objects'],
  ] as const) {
    const s1 = a[field];
    const s2 = b[field];
    if (canonicalJson(s1 ?? null) === canonicalJson(s2 ?? null)) continue;
    if (s2 === undefined) widened([...x, ` no longer limits ${what} by selector `, code(formatSelector(s1)), '.']);
    else if (s1 === undefined) narrowed([...x, ` now applies only to ${what} selected by `, code(formatSelector(s2)), '.']);
    else {
      emit('exemption-changed', 'neutral', [...x, ` now applies to ${what} selected by `, code(formatSelector(s2)), ' instead of ', code(formatSelector(s1)), '.']);
    }
  }
  if (a.expiresAt !== b.expiresAt) {
    const t1 = a.expiresAt === undefined ? Infinity : Date.parse(a.expiresAt);
    const t2 = b.expiresAt === undefined ? Infinity : Date.parse(b.expiresAt);
    const renewed = expired(a, options.now) && !expired(b, options.now);
    if (b.expiresAt === undefined) widened([...x, ` no longer expires (it was set to expire ${a.expiresAt ?? ''}).`]);
    else if (a.expiresAt === undefined) narrowed([...x, ` now expires ${b.expiresAt} (it had no expiry).`]);
    else if (t2 > t1) widened([...x, renewed ? ` is renewed until ${b.expiresAt} (it expired ${a.expiresAt}).` : ` is extended until ${b.expiresAt} (was ${a.expiresAt}).`]);
    else narrowed([...x, ` now expires earlier, ${b.expiresAt} (was ${a.expiresAt}).`]);
  }
  if (a.owner !== b.owner) emit('exemption-changed', 'neutral', [...x, ' changes owner from ', code(a.owner), ' to ', code(b.owner), '.']);
  if (a.reason !== b.reason) emit('exemption-changed', 'neutral', [...x, ' changes its reason to ', code(b.reason), '.']);
}

function controlsByName(controls: readonly ExemptionControl[]): Map<string, ExemptionControl> {
  const out = new Map<string, ExemptionControl>();
  for (const c of controls) {
    const prev = out.get(c.control);
    out.set(
      c.control,
      prev === undefined
        ? c
        : {
            ...prev,
            images: prev.images === undefined || c.images === undefined ? undefined : [...prev.images, ...c.images],
            values: prev.values === undefined || c.values === undefined ? undefined : [...prev.values, ...c.values],
          },
    );
  }
  return out;
}

/** Compare lists where "absent" means "all": absent after present widens, present after absent narrows. */
function optionalList(
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
  what: string,
  prefix: Segment[],
  widened: (s: Sentence) => void,
  narrowed: (s: Sentence) => void,
): void {
  if (a === undefined && b === undefined) return;
  if (b === undefined) return widened([...prefix, `now covers all ${what} (it covered only `, ...codeList(a ?? []), ').']);
  if (a === undefined) return narrowed([...prefix, `now covers only the ${what} `, ...codeList(b), '.']);
  const [added, removed] = setDiff(a, b);
  if (added.length > 0) widened([...prefix, `now also covers the ${what} `, ...codeList(added), '.']);
  if (removed.length > 0) narrowed([...prefix, `no longer covers the ${what} `, ...codeList(removed), '.']);
}

// ---- webhooks and trust ---------------------------------------------------------------------

function W(w: Webhook): Segment[] {
  return ['Webhook ', code(w.name)];
}

function resourcesOf(w: Webhook): string[] {
  return [...new Set(w.rules.flatMap((r) => r.resources))].sort();
}
function operationsOf(w: Webhook): string[] {
  return [...new Set(w.rules.flatMap((r) => r.operations))].sort();
}

function diffWebhooks(o: readonly Webhook[], n: readonly Webhook[], emit: Emit): void {
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
      const [ra, rr] = setDiff(resourcesOf(a), resourcesOf(b));
      if (ra.length > 0) we('webhook-changed', 'stricter', [...W(b), ` now also receives ${wordList(ra)}.`]);
      if (rr.length > 0) we('webhook-changed', 'looser', [...W(b), ` no longer receives ${wordList(rr)}.`]);
      const [oa, or] = setDiff(operationsOf(a), operationsOf(b));
      if (oa.length > 0) we('webhook-changed', 'stricter', [...W(b), ` now also receives ${wordList(oa)} requests.`]);
      if (or.length > 0) we('webhook-changed', 'looser', [...W(b), ` no longer receives ${wordList(or)} requests.`]);
      const [pa, pr] = setDiff(a.policies, b.policies);
      if (pa.length > 0) we('webhook-changed', 'neutral', [...W(b), ' now serves policies ', ...codeList(pa), '.']);
      if (pr.length > 0) we('webhook-changed', 'neutral', [...W(b), ' no longer serves policies ', ...codeList(pr), '.']);
    }
  }
}

function diffTrust(o: Bundle, n: Bundle, emit: Emit): void {
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

// ---- helpers --------------------------------------------------------------------------------

function shortHash(v: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, 16)}`;
}

function byName<T extends { name: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((i) => [i.name, i]));
}

function sortedUnion(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort();
}

function intersection(a: readonly string[], b: readonly string[]): string[] {
  return a.filter((x) => b.includes(x));
}

/** [added, removed], each sorted. */
function setDiff(before: readonly string[], after: readonly string[]): [string[], string[]] {
  const b = new Set(before);
  const a = new Set(after);
  return [[...a].filter((x) => !b.has(x)).sort(), [...b].filter((x) => !a.has(x)).sort()];
}

function withoutIdentity(rule: Rule): Record<string, unknown> {
  const { name: _n, autogenFrom: _a, target: _t, ...rest } = rule;
  return rest;
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return sortedUnion(Object.keys(a), Object.keys(b)).filter((k) => canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null));
}

/** Compare two Kubernetes quantities with the engine's parser (unparseable ones compare equal). */
function compareQuantity(a: string, b: string): number {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x.ok && y.ok ? compareQuantities(x.quantity, y.quantity) : 0;
}

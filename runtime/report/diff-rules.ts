/**
 * Rule changes within a policy. Autogen rules (expanded from a Pod rule for controllers) are folded
 * into the rule they came from, so one change to a Pod rule reads as one sentence.
 */
import { canonicalJson, MUTATING_RULE_TYPES, type AttestorSet, type Policy, type Rule } from '../bundle';
import { diffVerifyAttestations } from './diff-attestations';
import { describeAttestor, describeRule, identityText, keyFingerprint, targetName } from './describe';
import { changedKeys, compareQuantity, intersection, P, setDiff, sortedUnion, withoutIdentity } from './diff-helpers';
import type { Direction, Emit } from './diff-model';
import { code, codeList, wordList, type Segment } from './sentence';

/** The rules as the author wrote them: autogen rules are represented by the rule they came from. */
export function baseRules(rules: readonly Rule[]): Rule[] {
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

export function diffRules(o: Policy, n: Policy, emit: Emit): void {
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
      diffMutatedTemplates(n, name, before, after, re);
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

/**
 * A defaulting rule that starts or stops mutating controllers' templates (`mutateControllers`).
 * Neutral: Pods are defaulted at creation either way and controllers are validated as their Pods
 * will be, so what is admitted does not change; what changes is what GitOps sees drift on.
 */
function diffMutatedTemplates(p: Policy, name: string, before: Map<string, Rule>, after: Map<string, Rule>, emit: Emit): void {
  const rule = baseRules([...after.values()])[0];
  if (!MUTATING_RULE_TYPES.includes(rule.type)) return;
  const [added, removed] = setDiff([...before.keys()], [...after.keys()]);
  const r = R(p, name);
  if (added.length > 0) {
    emit('rule-changed', 'neutral', [
      ...r,
      ` now also mutates the pod templates of ${wordList(added)} (mutateControllers): Argo CD sees them differ from Git unless the Application has the ignoreDifferences the MutatingWebhookConfiguration lists.`,
    ]);
  }
  if (removed.length > 0) {
    emit('rule-changed', 'neutral', [
      ...r,
      ` no longer mutates the pod templates of ${wordList(removed)}: their Pods are still defaulted when created, and the templates are validated as those Pods will be.`,
    ]);
  }
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
    case 'verifyAttestations':
      diffVerifyAttestations(r, o as typeof n, n, emit);
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
  if (o.repository !== n.repository) {
    const where = (repo: string | undefined): Segment[] => (repo === undefined ? ['next to each image'] : ['from ', code(repo)]);
    emit('signing-changed', 'neutral', [
      ...r,
      ' now reads signatures ',
      ...where(n.repository),
      ' instead of ',
      ...where(o.repository),
      ': signatures stored only in the old place no longer count.',
    ]);
  }
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

/**
 * verifyAttestations in `portcullis diff`: what the rule requires (describeAttestationsRule, used
 * by describe.ts) and what a change to it does, with a direction per change: a condition added or
 * narrowed is stricter, removed or widened is looser; a pattern replaced by another (or an exact
 * value changed) is neutral, because neither accepts a subset of the other in general. Pure.
 */
import { canonicalJson, type AttestationRequirement, type Rule, type StringCondition } from '../bundle';
import { formatDuration, SEVERITY_ORDER } from '../images/predicates';
import { describeAttestor } from './describe';
import { setDiff, sortedUnion } from './diff-helpers';
import type { Direction, Emit } from './diff-model';
import { code, codeList, type Segment } from './sentence';

type AttestationsRule = Extract<Rule, { type: 'verifyAttestations' }>;

const FIELDS = [
  ['builderId', 'builder.id'],
  ['sourceRepository', 'source repository'],
  ['sourceRef', 'source ref'],
  ['buildType', 'buildType'],
] as const;

function conditionText(c: StringCondition): Segment[] {
  return 'exact' in c ? [code(c.exact)] : ['matching ', code(c.pattern)];
}

function signers(req: AttestationRequirement): Segment[] {
  const out: Segment[] = [];
  req.attestors.forEach((set, i) => {
    if (i > 0) out.push(' and ');
    const need = set.count ?? set.entries.length;
    if (set.entries.length > 1) out.push(need === set.entries.length ? 'all of ' : `${need} of `);
    set.entries.forEach((a, j) => out.push(j > 0 ? ', ' : '', ...describeAttestor(a)));
  });
  return out;
}

/** `provenance "build" (…) signed by keyless "ci" (…) with builder.id "…"`. */
function describeRequirement(req: AttestationRequirement): Segment[] {
  const out: Segment[] = [`${kindText(req)} `, code(req.name), ' (', ...codeList(req.predicateTypes, 'or'), ') signed by ', ...signers(req)];
  const parts: Segment[][] = [];
  if (req.kind === 'slsaProvenance') {
    for (const [key, label] of FIELDS) {
      const c = req[key];
      if (c !== undefined) parts.push([`${label} `, ...conditionText(c)]);
    }
  }
  if (req.kind !== 'custom' && req.maxAgeSeconds !== undefined) parts.push([`at most ${formatDuration(req.maxAgeSeconds)} old`]);
  if (req.kind === 'vulnerabilityScan') {
    if (req.maxSeverity !== undefined) parts.push([req.maxSeverity === 'NONE' ? 'no finding' : `no finding above ${req.maxSeverity}`]);
    for (const [sev, n] of Object.entries(req.maxCountBySeverity ?? {})) parts.push([`at most ${n} ${sev}`]);
  }
  parts.forEach((p, i) => out.push(i === 0 ? ' with ' : ', ', ...p));
  return out;
}

function kindText(req: AttestationRequirement): string {
  return req.kind === 'slsaProvenance' ? 'provenance' : req.kind === 'vulnerabilityScan' ? 'vulnerability scan' : req.kind === 'sbom' ? 'SBOM' : 'attestation';
}

export function describeAttestationsRule(rule: AttestationsRule): Segment[] {
  const out: Segment[] = ['requires signed attestations on images matching ', ...codeList(rule.imageReferences), ': '];
  rule.attestations.forEach((req, i) => out.push(i > 0 ? '; ' : '', ...describeRequirement(req)));
  if (rule.repository !== undefined) out.push(' (read from ', code(rule.repository), ')');
  return out;
}

/** Limit on a maximum: lower is stricter; absent = no limit. */
function maxDirection(a: number | undefined, b: number | undefined): Direction {
  if (a === b) return 'neutral';
  if (a === undefined) return 'stricter';
  if (b === undefined) return 'looser';
  return b < a ? 'stricter' : 'looser';
}

function severityRank(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  return s === 'NONE' ? 0 : SEVERITY_ORDER.indexOf(s as (typeof SEVERITY_ORDER)[number]) + 1;
}

function diffRequirement(r: Segment[], o: AttestationRequirement, n: AttestationRequirement, emit: Emit): void {
  const who: Segment[] = [...r, ' attestation ', code(n.name)];
  if (o.kind !== n.kind) {
    emit('signing-changed', 'neutral', [...who, ' now requires ', ...describeRequirement(n), ' instead of ', ...describeRequirement(o), '.']);
    return;
  }
  const ot: readonly string[] = o.predicateTypes;
  const nt: readonly string[] = n.predicateTypes;
  const [ta, tr] = setDiff(ot, nt);
  if (ta.length > 0) emit('signing-changed', 'looser', [...who, ' now also accepts statements of type ', ...codeList(ta), '.']);
  if (tr.length > 0) emit('signing-changed', 'stricter', [...who, ' no longer accepts statements of type ', ...codeList(tr), '.']);
  if (canonicalJson(o.attestors) !== canonicalJson(n.attestors)) {
    emit('signing-changed', 'neutral', [...who, ' must now be signed by ', ...signers(n), ' (was ', ...signers(o), ').']);
  }
  if (o.kind === 'slsaProvenance' && n.kind === 'slsaProvenance') {
    for (const [key, label] of FIELDS) {
      const a = o[key];
      const b = n[key];
      if (canonicalJson(a ?? null) === canonicalJson(b ?? null)) continue;
      if (a === undefined && b !== undefined) emit('signing-changed', 'stricter', [...who, ` now requires ${label} `, ...conditionText(b), '.']);
      else if (a !== undefined && b === undefined) emit('signing-changed', 'looser', [...who, ` no longer checks ${label} (was `, ...conditionText(a), ').']);
      else if (a !== undefined && b !== undefined) {
        emit('signing-changed', 'neutral', [...who, ` now requires ${label} `, ...conditionText(b), ' instead of ', ...conditionText(a), '.']);
      }
    }
  }
  const oa = o.kind === 'custom' ? undefined : o.maxAgeSeconds;
  const na = n.kind === 'custom' ? undefined : n.maxAgeSeconds;
  if (oa !== na) {
    const show = (s: number | undefined): string => (s === undefined ? 'no limit' : formatDuration(s));
    emit('signing-changed', maxDirection(oa, na), [...who, ` maximum age changes from ${show(oa)} to ${show(na)}.`]);
  }
  if (o.kind === 'vulnerabilityScan' && n.kind === 'vulnerabilityScan') {
    if (o.maxSeverity !== n.maxSeverity) {
      emit('signing-changed', maxDirection(severityRank(o.maxSeverity), severityRank(n.maxSeverity)), [
        ...who,
        ' highest allowed severity changes from ',
        code(o.maxSeverity ?? 'any'),
        ' to ',
        code(n.maxSeverity ?? 'any'),
        '.',
      ]);
    }
    for (const sev of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const) {
      const a = o.maxCountBySeverity?.[sev];
      const b = n.maxCountBySeverity?.[sev];
      if (a === b) continue;
      emit('signing-changed', maxDirection(a, b), [...who, ` allowed ${sev} findings change from ${a ?? 'any number'} to ${b ?? 'any number'}.`]);
    }
  }
}

export function diffVerifyAttestations(r: Segment[], o: AttestationsRule, n: AttestationsRule, emit: Emit): void {
  const [ia, ir] = setDiff(o.imageReferences, n.imageReferences);
  if (ia.length > 0) emit('signing-changed', 'stricter', [...r, ' now also requires attestations on images matching ', ...codeList(ia), '.']);
  if (ir.length > 0) emit('signing-changed', 'looser', [...r, ' no longer requires attestations on images matching ', ...codeList(ir), '.']);
  const [sa, sr] = setDiff(o.skipImageReferences ?? [], n.skipImageReferences ?? []);
  if (sa.length > 0) emit('signing-changed', 'looser', [...r, ' now skips attestation checks for images matching ', ...codeList(sa), '.']);
  if (sr.length > 0) emit('signing-changed', 'stricter', [...r, ' no longer skips attestation checks for images matching ', ...codeList(sr), '.']);
  const before = new Map(o.attestations.map((a) => [a.name, a]));
  const after = new Map(n.attestations.map((a) => [a.name, a]));
  for (const name of sortedUnion(before.keys(), after.keys())) {
    const a = before.get(name);
    const b = after.get(name);
    if (a === undefined && b !== undefined) emit('signing-changed', 'stricter', [...r, ' now also requires the ', ...describeRequirement(b), '.']);
    else if (a !== undefined && b === undefined) emit('signing-changed', 'looser', [...r, ' no longer requires the ', ...describeRequirement(a), '.']);
    else if (a !== undefined && b !== undefined && canonicalJson(a) !== canonicalJson(b)) diffRequirement(r, a, b, emit);
  }
  if (o.repository !== n.repository) {
    const where = (repo: string | undefined): Segment[] => (repo === undefined ? ['next to each image'] : ['from ', code(repo)]);
    emit('signing-changed', 'neutral', [...r, ' now reads attestations ', ...where(n.repository), ' instead of ', ...where(o.repository), '.']);
  }
  const [ra, rr] = setDiff(o.registries.map((x) => x.host), n.registries.map((x) => x.host));
  if (ra.length > 0) emit('registries-changed', 'neutral', [...r, ' may now contact registries ', ...codeList(ra), '.']);
  if (rr.length > 0) emit('registries-changed', 'neutral', [...r, ' no longer contacts registries ', ...codeList(rr), '.']);
  const timing: string[] = [];
  if (o.requestTimeoutMs !== n.requestTimeoutMs) timing.push(`registry request deadline ${o.requestTimeoutMs}ms → ${n.requestTimeoutMs}ms`);
  if (o.cacheTtlSeconds !== n.cacheTtlSeconds) timing.push(`verdict cache TTL ${o.cacheTtlSeconds}s → ${n.cacheTtlSeconds}s`);
  if (o.negativeCacheTtlSeconds !== n.negativeCacheTtlSeconds) timing.push(`failure cache TTL ${o.negativeCacheTtlSeconds}s → ${n.negativeCacheTtlSeconds}s`);
  if (timing.length > 0) emit('rule-changed', 'neutral', [...r, ` changes ${timing.join(', ')}.`]);
}

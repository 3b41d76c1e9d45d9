/**
 * Short descriptions of bundle parts (rules, selectors, exemption scopes, keys) used inside diff
 * sentences. Pure.
 */
import { createHash, createPublicKey } from 'node:crypto';
import type { Exemption, ExemptionControl, LabelSelector, ResourcePair, Rule, Target } from '../bundle';
import { describeAttestationsRule } from './diff-attestations';
import { code, codeList, wordList, type Segment } from './sentence';

/** `team=payments, env In (prod, staging), !legacy`; `everything` for an empty selector. */
export function formatSelector(selector: LabelSelector | undefined): string {
  if (selector === undefined) return 'everything';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    parts.push(`${k}=${v}`);
  }
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${e.operator} (${(e.values ?? []).join(', ')})`);
  }
  return parts.length === 0 ? 'everything' : parts.join(', ');
}

/** `sha256:0123456789abcdef` of the key's DER SubjectPublicKeyInfo (of the text if it does not parse). */
export function keyFingerprint(pem: string): string {
  let bytes: Buffer;
  try {
    bytes = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  } catch {
    bytes = Buffer.from(pem.trim());
  }
  return `sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
}

export function targetName(target: Target): string {
  return target.subresource === undefined ? target.kind : `${target.kind}/${target.subresource}`;
}

function pair(p: ResourcePair): string {
  const parts: string[] = [];
  if (p.cpu !== undefined) parts.push(`cpu ${p.cpu}`);
  if (p.memory !== undefined) parts.push(`memory ${p.memory}`);
  return parts.length === 0 ? 'nothing' : parts.join(', ');
}

/** What a rule does, as the tail of a sentence ("requires …", "denies …"). */
export function describeRule(rule: Rule): Segment[] {
  switch (rule.type) {
    case 'podSecurity':
      return [`enforces the ${rule.level} Pod Security Standard (version ${rule.version})`];
    case 'verifyImages': {
      const out: Segment[] = [
        rule.required ? 'requires valid signatures on images matching ' : 'checks signatures (when present) on images matching ',
        ...codeList(rule.imageReferences),
        ' from ',
        ...describeAttestors(rule),
      ];
      if (rule.repository !== undefined) out.push(' (signatures read from ', code(rule.repository), ')');
      if (rule.mutateDigest) out.push('; pins tags to digests');
      if (rule.verifyDigest) out.push('; requires a digest on every matching image');
      return out;
    }
    case 'verifyAttestations':
      return describeAttestationsRule(rule);
    case 'defaultResources':
      return [`defaults requests (${pair(rule.requests)}) and limits (${pair(rule.limits)}) where absent`];
    case 'requireResources': {
      const parts: string[] = [];
      if (rule.limits.length > 0) parts.push(`${wordList(rule.limits)} limits`);
      if (rule.requests.length > 0) parts.push(`${wordList(rule.requests)} requests`);
      const tail = rule.maxLimits === undefined ? '' : ` with limits at most ${pair(rule.maxLimits)}`;
      return [`requires ${parts.length === 0 ? 'nothing' : wordList(parts)}${tail}`];
    }
    case 'allowedRegistries':
      return ['allows images only from ', ...codeList(rule.allowed, 'or')];
    case 'requireDigest':
      return ['requires every image to be referenced by digest'];
    case 'disallowLatestTag':
      return ['denies images tagged ', code('latest'), ' or without a tag'];
    case 'hostPaths': {
      if (rule.allowed.length === 0) return ['denies every hostPath volume'];
      const out: Segment[] = ['allows hostPath volumes only under '];
      rule.allowed.forEach((a, i) => {
        if (i > 0) out.push(i === rule.allowed.length - 1 ? ' or ' : ', ');
        out.push(code(a.pathPrefix), a.readOnly ? ' (read-only)' : ' (read-write)');
      });
      return out;
    }
    case 'denyRuntimeSocket':
      return ['denies mounting the container-runtime sockets ', ...codeList(rule.sockets)];
    case 'hostNamespaces':
      return [`denies ${wordList(rule.deny)}`];
    case 'requireLabels': {
      const out: Segment[] = ['requires the labels '];
      rule.labels.forEach((l, i) => {
        if (i > 0) out.push(i === rule.labels.length - 1 ? ' and ' : ', ');
        out.push(code(l.key));
        if (l.valuePattern !== undefined) out.push(' matching ', code(l.valuePattern));
      });
      return out;
    }
    case 'defaultSeccomp':
      return [`defaults the seccomp profile to ${rule.profile} where absent`];
  }
}

function describeAttestors(rule: Extract<Rule, { type: 'verifyImages' }>): Segment[] {
  const out: Segment[] = [];
  rule.attestors.forEach((set, i) => {
    if (i > 0) out.push(' and ');
    const need = set.count ?? set.entries.length;
    if (set.entries.length > 1) out.push(need === set.entries.length ? 'all of ' : `${need} of `);
    set.entries.forEach((a, j) => {
      if (j > 0) out.push(', ');
      out.push(...describeAttestor(a));
    });
  });
  return out;
}

export function describeAttestor(a: Extract<Rule, { type: 'verifyImages' }>['attestors'][number]['entries'][number]): Segment[] {
  if (a.type === 'key') return ['key ', code(a.name), ` (${keyFingerprint(a.publicKey)})`];
  return ['keyless ', code(a.name), ' (', ...a.identities.flatMap((id, i) => [i > 0 ? '; ' : '', ...describeIdentity(id)]), ')'];
}

export function identityText(id: {
  subject?: string;
  subjectRegExp?: string;
  issuer?: string;
  issuerRegExp?: string;
}): string {
  const parts: string[] = [];
  if (id.subject !== undefined) parts.push(`subject ${id.subject}`);
  if (id.subjectRegExp !== undefined) parts.push(`subject ~ /${id.subjectRegExp}/`);
  if (id.issuer !== undefined) parts.push(`issuer ${id.issuer}`);
  if (id.issuerRegExp !== undefined) parts.push(`issuer ~ /${id.issuerRegExp}/`);
  return parts.join(', ');
}

function describeIdentity(id: Parameters<typeof identityText>[0]): Segment[] {
  return [code(identityText(id))];
}

/** `"capabilities_restricted" for "capabilities.add" values "NET_ADMIN" and "NET_RAW" on images "…"`. */
export function controlText(c: ExemptionControl): Segment[] {
  const out: Segment[] = [code(c.control)];
  if (c.field !== undefined) {
    out.push(' for ', code(c.field));
    if (c.values !== undefined) out.push(' values ', ...codeList(c.values));
  }
  if (c.images !== undefined) out.push(' on images ', ...codeList(c.images, 'or'));
  return out;
}

/** `in namespaces "a" for objects selected by "k=v"`; `everywhere` without a scope. */
export function describeScope(e: Pick<Exemption, 'namespaces' | 'namespaceSelector' | 'objectSelector'>): Segment[] {
  const out: Segment[] = [];
  if (e.namespaces !== undefined) out.push('in namespaces ', ...codeList(e.namespaces));
  if (e.namespaceSelector !== undefined) out.push(out.length > 0 ? ' ' : '', 'in namespaces selected by ', code(formatSelector(e.namespaceSelector)));
  if (e.objectSelector !== undefined) out.push(out.length > 0 ? ' ' : '', 'for objects selected by ', code(formatSelector(e.objectSelector)));
  if (out.length === 0) out.push('everywhere');
  return out;
}

/** "relieves X for field values … on images … in namespaces …". */
export function describeExemption(e: Exemption): Segment[] {
  const out: Segment[] = [];
  if (e.controls.length === 0) out.push('relieves the whole policy');
  else {
    out.push('relieves ');
    e.controls.forEach((c, i) => {
      if (i > 0) out.push(i === e.controls.length - 1 ? ' and ' : ', ');
      out.push(...controlText(c));
    });
  }
  out.push(' ', ...describeScope(e));
  out.push(` (owner ${e.owner}; ${e.expiresAt === undefined ? 'never expires' : `expires ${e.expiresAt}`}; reason: ${e.reason})`);
  return out;
}

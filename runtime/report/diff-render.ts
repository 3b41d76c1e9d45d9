/**
 * Renders a BundleDiff as plain text (terminal), markdown (a PR comment) or JSON (machines).
 * Changes are grouped by policy, then webhooks, trust and bundle-level changes, in a stable order.
 */
import type { BundleDiff, Direction, EnforcementChange } from './bundle-diff';
import { codeSpan, escapeMarkdown, toMarkdown, toText } from './sentence';

export interface DiffSides {
  /** How each side was named on the command line (file path or git ref). */
  oldLabel: string;
  newLabel: string;
}

interface Section {
  title: string;
  markdownTitle: string;
  changes: EnforcementChange[];
}

function sections(diff: BundleDiff): Section[] {
  const byPolicy = new Map<string, EnforcementChange[]>();
  const webhooks: EnforcementChange[] = [];
  const other: EnforcementChange[] = [];
  for (const c of diff.changes) {
    if (c.policy !== undefined) byPolicy.set(c.policy, [...(byPolicy.get(c.policy) ?? []), c]);
    else if (c.webhook !== undefined) webhooks.push(c);
    else other.push(c);
  }
  const out: Section[] = [...byPolicy.keys()].sort().map((name) => ({
    title: `Policy "${name}"`,
    markdownTitle: `Policy ${codeSpan(name)}`,
    changes: byPolicy.get(name) ?? [],
  }));
  if (webhooks.length > 0) out.push({ title: 'Webhook configuration', markdownTitle: 'Webhook configuration', changes: webhooks });
  if (other.length > 0) out.push({ title: 'Bundle and trust', markdownTitle: 'Bundle and trust', changes: other });
  return out;
}

export function summaryLine(diff: BundleDiff): string {
  const n = diff.changes.length;
  if (n === 0) return diff.identical ? 'No changes: the bundles are identical.' : 'No enforcement changes (only formatting or descriptions differ).';
  const { stricter, looser, neutral } = diff.summary;
  return `${n} enforcement change${n === 1 ? '' : 's'}: ${stricter} stricter, ${looser} looser, ${neutral} other.`;
}

const LABEL: Record<Direction, string> = { stricter: 'stricter', looser: 'looser', neutral: 'other' };

export function renderText(diff: BundleDiff, sides: DiffSides): string {
  const lines = [`portcullis diff ${sides.oldLabel} (${diff.oldHash.slice(0, 19)}) → ${sides.newLabel} (${diff.newHash.slice(0, 19)})`, summaryLine(diff)];
  for (const s of sections(diff)) {
    lines.push('', s.title);
    for (const c of s.changes) lines.push(`  ${LABEL[c.direction].padEnd(8)}  ${toText(c.sentence)}`);
  }
  return `${lines.join('\n')}\n`;
}

const BADGE: Record<Direction, string> = { stricter: '**stricter**', looser: '**looser**', neutral: 'other' };

export function renderMarkdown(diff: BundleDiff, sides: DiffSides): string {
  const lines = [
    '### Portcullis: what enforcement changes',
    '',
    `${codeSpan(sides.oldLabel)} → ${codeSpan(sides.newLabel)}: ${escapeMarkdown(summaryLine(diff))}`,
  ];
  const { looser } = diff.summary;
  if (looser > 0) {
    lines.push('', `> **Security review:** ${looser} change${looser === 1 ? '' : 's'} loosen${looser === 1 ? 's' : ''} enforcement.`);
  }
  for (const s of sections(diff)) {
    lines.push('', `#### ${s.markdownTitle}`, '');
    for (const c of s.changes) lines.push(`- ${BADGE[c.direction]}: ${toMarkdown(c.sentence)}`);
  }
  lines.push('', `<sub>bundle ${codeSpan(diff.oldHash)} → ${codeSpan(diff.newHash)}</sub>`);
  return `${lines.join('\n')}\n`;
}

export interface DiffJson {
  old: { label: string; hash: string };
  new: { label: string; hash: string };
  identical: boolean;
  summary: BundleDiff['summary'];
  changes: Array<Omit<EnforcementChange, 'sentence'> & { sentence: string; markdown: string }>;
}

export function toDiffJson(diff: BundleDiff, sides: DiffSides): DiffJson {
  return {
    old: { label: sides.oldLabel, hash: diff.oldHash },
    new: { label: sides.newLabel, hash: diff.newHash },
    identical: diff.identical,
    summary: diff.summary,
    changes: diff.changes.map((c) => ({ ...c, sentence: toText(c.sentence), markdown: toMarkdown(c.sentence) })),
  };
}

export function renderJson(diff: BundleDiff, sides: DiffSides): string {
  return `${JSON.stringify(toDiffJson(diff, sides), null, 2)}\n`;
}

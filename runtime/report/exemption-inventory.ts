/**
 * The exemption inventory of a bundle (`portcullis exemptions`): every exemption with its policy,
 * owner, reason, scope, controls (images, field values), expiry and days left, as a table, JSON or
 * markdown. Scope and controls are worded by describe.ts, so the inventory says exactly what
 * `portcullis diff` says about the same exemption. Pure.
 */
import type { Bundle, Exemption } from '../bundle';
import { daysLeft, DAY_MS, expiresWithin } from '../engine/exemption-use';
import { isExpired } from '../engine/exemptions';
import { controlText, describeExemption, describeScope, formatSelector } from './describe';
import { codeSpan, escapeMarkdown, toText, type Sentence } from './sentence';

export type ExemptionStatus = 'expired' | 'expiring' | 'active' | 'no-expiry';

export interface InventoryEntry {
  policy: string;
  exemption: string;
  owner: string;
  reason: string;
  scope: {
    namespaces?: string[];
    /** formatSelector's words, e.g. `team=payments, env In (prod)`. */
    namespaceSelector?: string;
    objectSelector?: string;
    /** `in namespaces "platform-network"`, `everywhere`, … (describe.ts). */
    text: string;
  };
  /** Empty: the whole policy is relieved within the scope. */
  controls: Array<{ control: string; field?: string; values?: string[]; images?: string[]; text: string }>;
  expiresAt?: string;
  /** Whole days until expiry (negative once expired); absent without an expiry. */
  daysLeft?: number;
  /** `expired`; `expiring` within the window; `active`; `no-expiry`. */
  status: ExemptionStatus;
  /** The sentence `portcullis diff` uses when the exemption is added ("relieves … (owner …)"). */
  description: string;
}

export interface InventoryOptions {
  now: Date;
  /** The window for `expiring` (and for the filter): default 30 days. */
  windowMs: number;
  /** List only exemptions that expire within the window or have expired. */
  onlyExpiring: boolean;
}

export interface Inventory {
  now: string;
  /** The window in days, as given (`--expiring-within`, default 30). */
  windowDays: number;
  filtered: boolean;
  counts: { listed: number; total: number; expired: number; expiring: number; noExpiry: number };
  exemptions: InventoryEntry[];
}

export const DEFAULT_WINDOW_MS = 30 * DAY_MS;

/** The bundle exemption each entry was made from (for the markdown renderer's code spans). */
const sources = new WeakMap<InventoryEntry, Exemption>();

function status(e: Exemption, o: InventoryOptions): ExemptionStatus {
  if (e.expiresAt === undefined) return 'no-expiry';
  if (isExpired(e, o.now)) return 'expired';
  return expiresWithin(e, o.now, o.windowMs) ? 'expiring' : 'active';
}

function entry(policy: string, e: Exemption, o: InventoryOptions): InventoryEntry {
  const scope: Partial<InventoryEntry['scope']> = {};
  if (e.namespaces !== undefined) scope.namespaces = e.namespaces;
  if (e.namespaceSelector !== undefined) scope.namespaceSelector = formatSelector(e.namespaceSelector);
  if (e.objectSelector !== undefined) scope.objectSelector = formatSelector(e.objectSelector);
  scope.text = toText(describeScope(e));
  const out: InventoryEntry = {
    policy,
    exemption: e.name,
    owner: e.owner,
    reason: e.reason,
    scope: scope as InventoryEntry['scope'],
    controls: e.controls.map((c) => ({ ...c, text: toText(controlText(c)) })),
    status: status(e, o),
    description: toText(describeExemption(e)),
  };
  if (e.expiresAt !== undefined) out.expiresAt = e.expiresAt;
  const days = daysLeft(e, o.now);
  if (days !== undefined) out.daysLeft = days;
  sources.set(out, e);
  return out;
}

/** Soonest expiry first (expired ones first of all), exemptions without expiry last; then policy, name. */
function compare(a: InventoryEntry, b: InventoryEntry): number {
  const ta = a.expiresAt === undefined ? Infinity : Date.parse(a.expiresAt);
  const tb = b.expiresAt === undefined ? Infinity : Date.parse(b.expiresAt);
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.policy}\u0000${a.exemption}`;
  const kb = `${b.policy}\u0000${b.exemption}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function buildInventory(bundle: Bundle, o: InventoryOptions): Inventory {
  const all = bundle.policies.flatMap((p) => p.exemptions.map((e) => entry(p.name, e, o))).sort(compare);
  const listed = o.onlyExpiring ? all.filter((x) => x.status === 'expired' || x.status === 'expiring') : all;
  return {
    now: o.now.toISOString().replace('.000Z', 'Z'),
    windowDays: o.windowMs / DAY_MS,
    filtered: o.onlyExpiring,
    counts: {
      listed: listed.length,
      total: all.length,
      expired: all.filter((x) => x.status === 'expired').length,
      expiring: all.filter((x) => x.status === 'expiring').length,
      noExpiry: all.filter((x) => x.status === 'no-expiry').length,
    },
    exemptions: listed,
  };
}

/** Listed exemptions that expire within the window or have expired (what `--fail-if-expiring` trips on). */
export function expiringCount(inv: Inventory): number {
  return inv.exemptions.filter((x) => x.status === 'expired' || x.status === 'expiring').length;
}

function daysText(x: InventoryEntry): string {
  if (x.daysLeft === undefined) return 'never expires';
  if (x.status === 'expired') return `expired ${-x.daysLeft} day(s) ago`;
  return `${x.daysLeft} day(s) left`;
}

function summary(inv: Inventory): string {
  const c = inv.counts;
  const what = inv.filtered ? `${c.listed} of ${c.total} exemption(s) expire within ${inv.windowDays} days or have expired` : `${c.total} exemption(s)`;
  return `${what}: ${c.expired} expired, ${c.expiring} expiring within ${inv.windowDays} days, ${c.noExpiry} without expiry (as of ${inv.now}).`;
}

function aligned(header: string[], rows: string[][], numeric: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

const STATUS_WORD: Record<ExemptionStatus, string> = { expired: 'EXPIRED', expiring: 'expiring', active: 'active', 'no-expiry': 'no expiry' };

export function renderInventoryTable(inv: Inventory): string {
  const out = [summary(inv)];
  if (inv.exemptions.length === 0) return `${out.join('\n')}\n`;
  out.push(
    '',
    ...aligned(
      ['POLICY', 'EXEMPTION', 'OWNER', 'EXPIRES', 'DAYS LEFT', 'STATUS'],
      inv.exemptions.map((x) => [x.policy, x.exemption, x.owner, x.expiresAt ?? 'never', x.daysLeft === undefined ? '-' : String(x.daysLeft), STATUS_WORD[x.status]]),
      new Set([4]),
    ),
  );
  for (const x of inv.exemptions) {
    out.push('', `${x.policy}/${x.exemption}`);
    out.push(`  owner:    ${x.owner}`);
    out.push(`  reason:   ${x.reason}`);
    out.push(`  scope:    ${x.scope.text}`);
    if (x.controls.length === 0) out.push('  controls: the whole policy');
    else x.controls.forEach((c, i) => out.push(`  ${i === 0 ? 'controls:' : '         '} ${c.text}`));
    out.push(`  expires:  ${x.expiresAt === undefined ? 'never' : `${x.expiresAt} (${daysText(x)})`}`);
  }
  return `${out.join('\n')}\n`;
}

export function renderInventoryJson(inv: Inventory): string {
  return `${JSON.stringify({ apiVersion: 'portcullis.dev/v1alpha1', kind: 'ExemptionInventory', ...inv }, null, 2)}\n`;
}

/** A sentence as a markdown table cell: text escaped, literals in code spans, pipes escaped (GFM). */
function cell(sentence: Sentence): string {
  return sentence.map((s) => (typeof s === 'string' ? escapeMarkdown(s) : codeSpan(s.code).replace(/\|/g, '\\|'))).join('');
}

export function renderInventoryMarkdown(inv: Inventory): string {
  const out = ['### Portcullis: exemptions', '', escapeMarkdown(summary(inv))];
  if (inv.exemptions.length > 0) {
    out.push('', '| Policy | Exemption | Owner | Expires | Days left | Scope | Controls | Reason |', '|---|---|---|---|---:|---|---|---|');
    for (const x of inv.exemptions) {
      const controls = x.controls.length === 0 ? 'the whole policy' : x.controls.map((c) => cell(controlText(c))).join('<br>');
      const expires = x.expiresAt === undefined ? 'never' : `${cell([{ code: x.expiresAt }])}${x.status === 'expired' ? ' **expired**' : x.status === 'expiring' ? ' **expiring**' : ''}`;
      const scope = sources.get(x);
      out.push(
        `| ${cell([{ code: x.policy }])} | ${cell([{ code: x.exemption }])} | ${escapeMarkdown(x.owner)} | ${expires} | ${x.daysLeft ?? '–'} | ${scope === undefined ? escapeMarkdown(x.scope.text) : cell(describeScope(scope))} | ${controls} | ${escapeMarkdown(x.reason)} |`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

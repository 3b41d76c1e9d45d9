/**
 * `portcullis scan -o html`: one self-contained page for a rollout review — what would be blocked
 * per policy and per namespace (inline SVG bar charts), the most frequent messages, the workloads
 * that would be blocked, and the exemption inventory with an expiry timeline.
 *
 * The page is rendered from the `-o json` document (ScanJson) and nothing else, so every number on
 * it is a number of that document: each is printed inside an element carrying
 * `data-json="<JSON pointer>"` and `data-count="<value>"` (bars and rows also carry
 * `data-policy` / `data-namespace` / `data-exemption`), which lets a test compare the page to the
 * JSON. No script, no external resource (a Content-Security-Policy forbids them), every input
 * string HTML-escaped. Deterministic: the same document gives the same bytes. Pure.
 */
import type { InventoryEntry } from './exemption-inventory';
import type { ScanJson } from './scan-render';
import { refText } from './workload';

/** Blocked workloads listed by name (the JSON lists all of them). */
export const HTML_MAX_WORKLOADS = 100;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value from input, safe in HTML and inline SVG. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** A number of the JSON document at `pointer` (RFC 6901; array lengths as `/…/length`). */
function num(value: number, pointer: string, tag = 'span'): string {
  return `<${tag} class="${tag === 'td' ? 'num n' : 'n'}" data-json="${escapeHtml(pointer)}" data-count="${value}">${value}</${tag}>`;
}

function nsName(ns: string): string {
  return ns === '' ? '(cluster)' : ns;
}

interface Bar {
  label: string;
  value: number;
  pointer: string;
  /** Attributes identifying the bar (`data-policy="…"`), already escaped. */
  attrs: string;
}

const CHART_WIDTH = 720;
const LABEL_WIDTH = 260;
const ROW = 24;

/** A horizontal bar chart as inline SVG. */
function barChart(id: string, title: string, bars: readonly Bar[]): string {
  if (bars.length === 0) return `<p class="empty" data-chart="${id}">Nothing would be blocked.</p>`;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const span = CHART_WIDTH - LABEL_WIDTH - 60;
  const height = bars.length * ROW + 8;
  const rows = bars.map((b, i) => {
    const y = 4 + i * ROW;
    const w = Math.max(b.value > 0 ? 2 : 0, Math.round((b.value / max) * span));
    return (
      `<g class="bar" ${b.attrs} data-count="${b.value}">` +
      `<title>${escapeHtml(b.label)}: ${b.value}</title>` +
      `<text class="label" x="${LABEL_WIDTH - 8}" y="${y + 16}" text-anchor="end">${escapeHtml(b.label)}</text>` +
      `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${w}" height="${ROW - 6}" rx="2"/>` +
      `<text class="value" x="${LABEL_WIDTH + w + 6}" y="${y + 16}" data-json="${escapeHtml(b.pointer)}" data-count="${b.value}">${b.value}</text>` +
      `</g>`
    );
  });
  return (
    `<svg class="chart" data-chart="${id}" role="img" aria-label="${escapeHtml(title)}" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}">` +
    rows.join('') +
    `</svg>`
  );
}

const STATUS_WORD: Record<InventoryEntry['status'], string> = { expired: 'EXPIRED', expiring: 'expiring', active: 'active', 'no-expiry': 'no expiry' };

/** Exemption expiry on a day axis: now at 0, the warning window marked, expired ones to the left. */
function timeline(entries: readonly InventoryEntry[], windowDays: number): string {
  if (entries.length === 0) return '';
  const days = entries.flatMap((e) => (e.daysLeft === undefined ? [] : [e.daysLeft]));
  const lo = Math.min(0, ...days);
  const hi = Math.max(windowDays, ...days) * 1.08 + 1;
  const left = LABEL_WIDTH;
  const span = CHART_WIDTH - LABEL_WIDTH - 70;
  const x = (d: number) => Math.round(left + ((d - lo) / (hi - lo)) * span);
  const top = 22;
  const height = top + entries.length * ROW + 8;
  const rows = entries.map((e, i) => {
    const y = top + i * ROW;
    const id = `${e.policy}/${e.exemption}`;
    const pointer = `/exemptionInventory/exemptions/${i}/daysLeft`;
    const end = e.daysLeft === undefined ? left + span : x(e.daysLeft);
    const x0 = Math.min(x(0), end);
    const width = Math.max(2, Math.abs(end - x(0)));
    return (
      `<g class="tl ${e.status}" data-exemption="${escapeHtml(id)}" data-status="${e.status}"${e.daysLeft === undefined ? '' : ` data-days-left="${e.daysLeft}"`}>` +
      `<title>${escapeHtml(id)}: ${escapeHtml(e.expiresAt ?? 'never expires')}</title>` +
      `<text class="label" x="${left - 8}" y="${y + 16}" text-anchor="end">${escapeHtml(id)}</text>` +
      `<rect x="${x0}" y="${y + 5}" width="${width}" height="${ROW - 10}" rx="2"/>` +
      (e.daysLeft === undefined
        ? `<text class="value" x="${end + 6}" y="${y + 16}">never</text>`
        : `<text class="value" x="${end + (e.daysLeft < 0 ? -6 : 6)}" y="${y + 16}" text-anchor="${e.daysLeft < 0 ? 'end' : 'start'}" data-json="${pointer}" data-count="${e.daysLeft}">${e.daysLeft}</text>`) +
      `</g>`
    );
  });
  return (
    `<svg class="chart timeline" data-chart="expiry" role="img" aria-label="Exemption expiry: days left" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}">` +
    `<rect class="window" x="${x(0)}" y="${top}" width="${x(windowDays) - x(0)}" height="${height - top - 4}"/>` +
    `<line class="now" x1="${x(0)}" x2="${x(0)}" y1="12" y2="${height - 4}"/>` +
    `<text class="axis" x="${x(0)}" y="12" text-anchor="middle">now</text>` +
    `<text class="axis" x="${x(windowDays)}" y="12" text-anchor="middle">+<tspan data-json="/exemptionInventory/windowDays" data-count="${windowDays}">${windowDays}</tspan> days</text>` +
    rows.join('') +
    `</svg>`
  );
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
.meta{color:#57606a;margin:0 0 1rem}
.tiles{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0}
.tile{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .9rem;min-width:9rem}
.tile .n{display:block;font-size:1.7rem;font-weight:600}
.tile.bad .n{color:#cf222e}
table{border-collapse:collapse;margin:.5rem 0;width:100%}
th,td{border-bottom:1px solid #d8dee4;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:0 .2rem;border-radius:3px}
.msg{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;word-break:break-word}
.chart{max-width:100%;height:auto;display:block;margin:.5rem 0}
.chart text{font:12px system-ui,sans-serif;fill:#1f2328}
.bar rect{fill:#cf222e}
.chart text.axis{fill:#57606a}
.timeline .window{fill:#fff8c5}
.timeline .now{stroke:#57606a;stroke-dasharray:3 3}
.tl.active rect{fill:#2da44e}.tl.expiring rect{fill:#bf8700}.tl.expired rect{fill:#cf222e}.tl.no-expiry rect{fill:#8c959f}
tr.expired td{background:#ffebe9}tr.expiring td{background:#fff8c5}
.status{font-weight:600}tr.expired .status{color:#cf222e}tr.expiring .status{color:#9a6700}
.note{color:#57606a}.empty{color:#57606a;font-style:italic}
`;

function table(head: ReadonlyArray<string | { num: string }>, rows: readonly string[]): string {
  const th = head.map((h) => (typeof h === 'string' ? `<th>${escapeHtml(h)}</th>` : `<th class="num">${escapeHtml(h.num)}</th>`)).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderScanHtml(json: ScanJson): string {
  const c = json.counts;
  const inv = json.exemptionInventory;
  const out: string[] = [];
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Portcullis scan: what would be blocked</title>',
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<h1>Portcullis scan: what would be blocked</h1>',
  );
  out.push(
    `<p class="meta">${json.mode === 'enforce' ? 'Every policy evaluated as Enforce: Audit policies show what they would block.' : 'Policies evaluated with their bundle modes: only Enforce policies block.'}` +
      (inv !== undefined ? ` As of <time data-json="/exemptionInventory/now">${escapeHtml(inv.now)}</time>.` : '') +
      '</p>',
  );
  const tile = (label: string, metric: string, value: number, pointer: string, bad = false) =>
    `<div class="tile${bad ? ' bad' : ''}" data-metric="${metric}" data-count="${value}">${num(value, pointer)}${escapeHtml(label)}</div>`;
  out.push(
    '<div class="tiles">',
    tile('workloads would be blocked', 'blocked-total', c.blocked, '/counts/blocked', c.blocked > 0),
    tile('workloads evaluated', 'workloads-total', c.workloads, '/counts/workloads'),
    tile('objects read', 'objects-total', c.objects, '/counts/objects'),
    tile('counted with their controllers', 'folded-total', c.folded, '/counts/folded'),
    tile('in excluded namespaces', 'excluded-total', c.excluded, '/counts/excluded'),
    tile('exemptions relieving findings', 'exemptions-used', json.exemptions.length, '/exemptions/length'),
    '</div>',
  );

  // per policy
  out.push('<h2>Would be blocked, per policy</h2>', '<p class="note">Workloads with at least one finding of the policy.</p>');
  out.push(
    barChart(
      'policies',
      'Workloads that would be blocked, per policy',
      json.policies.map((p, i) => ({ label: p.policy, value: p.workloads, pointer: `/policies/${i}/workloads`, attrs: `data-policy="${escapeHtml(p.policy)}"` })),
    ),
  );
  if (json.rules.length > 0) {
    out.push(
      table(
        ['Policy/rule', 'Mode', { num: 'Workloads' }, { num: 'Namespaces' }, { num: 'Findings' }, { num: 'Errors' }],
        json.rules.map(
          (r, i) =>
            `<tr data-rule="${escapeHtml(`${r.policy}/${r.rule}`)}"><td><code>${escapeHtml(`${r.policy}/${r.rule}`)}</code></td><td>${escapeHtml(r.bundleMode)}</td>` +
            `${num(r.workloads, `/rules/${i}/workloads`, 'td')}${num(r.namespaces.length, `/rules/${i}/namespaces/length`, 'td')}` +
            `${num(r.findings, `/rules/${i}/findings`, 'td')}${num(r.errors, `/rules/${i}/errors`, 'td')}</tr>`,
        ),
      ),
    );
  }

  // per namespace
  const nsRows = json.namespaces.map((n, i) => ({ n, i })).filter(({ n }) => n.blocked > 0 || n.findings > 0);
  out.push('<h2>Would be blocked, per namespace</h2>');
  out.push(
    barChart(
      'namespaces',
      'Workloads that would be blocked, per namespace',
      nsRows.map(({ n, i }) => ({ label: nsName(n.namespace), value: n.blocked, pointer: `/namespaces/${i}/blocked`, attrs: `data-namespace="${escapeHtml(n.namespace)}"` })),
    ),
  );
  if (nsRows.length > 0) {
    out.push(
      table(
        ['Namespace', { num: 'Workloads' }, { num: 'Blocked' }, { num: 'Findings' }, 'Top rules'],
        nsRows.map(
          ({ n, i }) =>
            `<tr data-namespace="${escapeHtml(n.namespace)}"><td>${escapeHtml(nsName(n.namespace))}</td>${num(n.workloads, `/namespaces/${i}/workloads`, 'td')}` +
            `${num(n.blocked, `/namespaces/${i}/blocked`, 'td')}${num(n.findings, `/namespaces/${i}/findings`, 'td')}<td>` +
            n.rules
              .slice(0, 3)
              .map((r, j) => `<code>${escapeHtml(`${r.policy}/${r.rule}`)}</code> (${num(r.workloads, `/namespaces/${i}/rules/${j}/workloads`)})`)
              .join(', ') +
            '</td></tr>',
        ),
      ),
    );
  }

  // top messages
  out.push('<h2>Top messages</h2>');
  if (json.topMessages.length === 0) out.push('<p class="empty">No findings.</p>');
  else {
    out.push(
      table(
        [{ num: 'Findings' }, { num: 'Workloads' }, 'Policy/rule', 'Message'],
        json.topMessages.map(
          (m, i) =>
            `<tr data-message="${i}">${num(m.findings, `/topMessages/${i}/findings`, 'td')}${num(m.workloads, `/topMessages/${i}/workloads`, 'td')}` +
            `<td><code>${escapeHtml(`${m.policy}/${m.rule}`)}</code></td><td class="msg">${escapeHtml(m.message)}</td></tr>`,
        ),
      ),
    );
  }

  // blocked workloads
  const blocked = json.workloads.map((w, i) => ({ w, i })).filter(({ w }) => w.blocked);
  out.push('<h2>Workloads that would be blocked</h2>');
  if (blocked.length === 0) out.push('<p class="empty">None.</p>');
  else {
    out.push(
      table(
        ['Workload', { num: 'Violations' }, { num: 'Errors' }, 'Policies'],
        blocked.slice(0, HTML_MAX_WORKLOADS).map(
          ({ w, i }) =>
            `<tr data-workload="${escapeHtml(refText(w.resource))}"><td>${escapeHtml(refText(w.resource))}</td>${num(w.violations.length, `/workloads/${i}/violations/length`, 'td')}` +
            `${num(w.errors.length, `/workloads/${i}/errors/length`, 'td')}<td>${[...new Set([...w.violations, ...w.errors].map((v) => v.policy))].map((p) => `<code>${escapeHtml(p)}</code>`).join(' ')}</td></tr>`,
        ),
      ),
    );
    if (blocked.length > HTML_MAX_WORKLOADS) out.push(`<p class="note">Only the first ${HTML_MAX_WORKLOADS} are listed here; <code>-o json</code> lists every one.</p>`);
  }

  // exemptions
  out.push('<h2>Exemptions</h2>');
  if (inv !== undefined) {
    const k = inv.counts;
    out.push(
      `<p data-metric="exemptions-total" data-count="${k.total}">${num(k.total, '/exemptionInventory/counts/total')} exemption(s) in the bundle: ` +
        `<span data-metric="exemptions-expired" data-count="${k.expired}">${num(k.expired, '/exemptionInventory/counts/expired')} expired</span>, ` +
        `<span data-metric="exemptions-expiring" data-count="${k.expiring}">${num(k.expiring, '/exemptionInventory/counts/expiring')} expiring within ${num(inv.windowDays, '/exemptionInventory/windowDays')} days</span>, ` +
        `${num(k.noExpiry, '/exemptionInventory/counts/noExpiry')} without expiry.</p>`,
    );
    out.push(timeline(inv.exemptions, inv.windowDays));
    const used = (e: InventoryEntry) => json.exemptions.findIndex((u) => u.policy === e.policy && u.exemption === e.exemption);
    out.push(
      table(
        ['Policy/exemption', 'Owner', 'Expires', { num: 'Days left' }, 'Status', { num: 'Workloads relieved' }, { num: 'Findings relieved' }, 'Scope', 'Reason'],
        inv.exemptions.map((e, i) => {
          const u = used(e);
          const dash = '<td class="num">–</td>';
          return (
            `<tr class="${e.status}" data-exemption="${escapeHtml(`${e.policy}/${e.exemption}`)}" data-status="${e.status}">` +
            `<td><code>${escapeHtml(`${e.policy}/${e.exemption}`)}</code></td><td>${escapeHtml(e.owner)}</td><td>${escapeHtml(e.expiresAt ?? 'never')}</td>` +
            (e.daysLeft === undefined ? dash : num(e.daysLeft, `/exemptionInventory/exemptions/${i}/daysLeft`, 'td')) +
            `<td class="status">${STATUS_WORD[e.status]}</td>` +
            (u < 0 ? dash + dash : num(json.exemptions[u].workloads, `/exemptions/${u}/workloads`, 'td') + num(json.exemptions[u].findings, `/exemptions/${u}/findings`, 'td')) +
            `<td>${escapeHtml(e.scope.text)}</td><td>${escapeHtml(e.reason)}</td></tr>`
          );
        }),
      ),
    );
  }
  if (json.exemptions.length > 0) {
    out.push('<h3>Workloads relieved by exemptions in this scan</h3>');
    out.push(
      table(
        ['Policy/exemption', 'Owner', 'Expires', { num: 'Findings' }, { num: 'Partly' }, 'Workloads'],
        json.exemptions.map(
          (e, i) =>
            `<tr data-exemption-use="${escapeHtml(`${e.policy}/${e.exemption}`)}"><td><code>${escapeHtml(`${e.policy}/${e.exemption}`)}</code></td><td>${escapeHtml(e.owner)}</td>` +
            `<td>${escapeHtml(e.expiresAt ?? 'never')}</td>${num(e.findings, `/exemptions/${i}/findings`, 'td')}${num(e.partial, `/exemptions/${i}/partial`, 'td')}` +
            `<td>${e.resources.map((r) => escapeHtml(refText(r))).join('<br>')}</td></tr>`,
        ),
      ),
    );
  } else out.push('<p class="empty">No exemption relieved a finding in this scan.</p>');

  const notes: string[] = [];
  if (json.skippedSignatureRules.length > 0) {
    notes.push(`Signature checks were not run (${json.skippedSignatureRules.map((r) => `<code>${escapeHtml(r)}</code>`).join(', ')}): <code>--verify-images</code> runs them.`);
  }
  if (json.unlabelledNamespaces.length > 0) {
    notes.push(`Labels unknown for namespace(s) ${json.unlabelledNamespaces.map((n) => `<code>${escapeHtml(n)}</code>`).join(', ')}: namespaceSelectors saw only kubernetes.io/metadata.name.`);
  }
  if (notes.length > 0) out.push('<h2>Notes</h2>', ...notes.map((n) => `<p class="note">${n}</p>`));
  out.push('</body>', '</html>', '');
  return out.join('\n');
}

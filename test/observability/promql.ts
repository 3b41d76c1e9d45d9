/**
 * Just enough PromQL reading for the observability tests: the metric names an expression selects,
 * and the label matchers of each selector. Strings, label matchers, ranges and grouping clauses are
 * cut out first; what is left that is not a function call or keyword is a metric name.
 */

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'Inf', 'NaN']);

/** `expr` without string literals (kept as ""), so braces and brackets inside them do not count. */
function withoutStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

/** The metric names selected by `expr` (sorted, unique). */
export function metricNames(expr: string): string[] {
  const stripped = withoutStrings(expr)
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  const id = /[a-zA-Z_:][a-zA-Z0-9_:]*/g;
  let m: RegExpExecArray | null;
  while ((m = id.exec(stripped)) !== null) {
    const before = stripped[m.index - 1] ?? ' ';
    if (/[0-9.]/.test(before)) continue; // the exponent or unit of a number (1e3, 5m)
    const rest = stripped.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest)) continue; // a function or aggregation call
    if (KEYWORDS.has(m[0])) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

export interface Selector {
  metric: string;
  matchers: Array<{ label: string; op: string; value: string }>;
}

/** Every `metric{…}` selector of `expr` with its matchers (values unescaped). */
export function selectors(expr: string): Selector[] {
  const out: Selector[] = [];
  const sel = /([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}/g;
  let m: RegExpExecArray | null;
  while ((m = sel.exec(expr)) !== null) {
    const matchers: Selector['matchers'] = [];
    const one = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
    let mm: RegExpExecArray | null;
    let end = 0;
    while ((mm = one.exec(m[2])) !== null) {
      matchers.push({ label: mm[1], op: mm[2], value: mm[3].replace(/\\(.)/g, '$1') });
      end = one.lastIndex;
    }
    if (end !== m[2].length) throw new Error(`unparsed matchers in ${m[0]}`);
    out.push({ metric: m[1], matchers });
  }
  return out;
}

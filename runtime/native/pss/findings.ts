/**
 * Building blocks of the Pod Security controls in CEL: one finding as a CEL `list<string>` of zero
 * or one finished line (runtime/engine/pss/check.ts `podFinding` / `containerFinding`, then the
 * policy's exemptions of runtime/engine/exemptions.ts, then messages.ts `violationMessage`), and
 * the per-container layout that keeps the engine's order without flattening (CEL in Kubernetes
 * 1.30 has none): every container gives its lines joined with " | ", empty strings are dropped,
 * so the rule's `join(" | ")` reads exactly the engine's lines.
 *
 * Scope variables: `c` is the container and `cl` its label (`container "app"`, `init container
 * "x"`, `ephemeral container "y"`) inside `containerLines`; controls choose their own names for
 * inner lists (ports `p`, volumes `v`). Names used here for partial relief: rv, rr, rl, rm, rx, jx.
 */
import { celString, celStringList, re2Literal } from '../cel-text';
import { singleValueRelief, type ExemptionFinding, type ExemptionTerm } from '../compile';
import { fieldOf, lineCel, unless } from '../families';
import type { Target } from '../../bundle';
import type { ControlCompile, ControlContext } from './control';

/** The label of container `c` (check.ts containerLabel); container names are unique in a pod. */
export const CONTAINER_LABEL =
  '(has(variables.spec.initContainers) && variables.spec.initContainers.exists(x, x.name == c.name) ? "init container \\"" : ' +
  'has(variables.spec.ephemeralContainers) && variables.spec.ephemeralContainers.exists(x, x.name == c.name) ? "ephemeral container \\"" : ' +
  '"container \\"") + c.name + "\\""';

/** The CEL list<string> of every container's lines (each slot a CEL list<string> over `c` and `cl`). */
export function containerLines(slots: readonly string[]): string {
  const used = slots.filter((s) => s !== '[]');
  if (used.length === 0) return '[]';
  return `variables.containers.map(c, [${CONTAINER_LABEL}].map(cl, (${used.join(' + ')}).join(" | "))[0]).filter(s, s != "")`;
}

/**
 * CEL list<string>: the lines of every item of `list` (bound to `name`) satisfying `cond`, in list
 * order (`lines` a CEL list<string> over the item).
 */
export function itemLines(list: string, name: string, cond: string, lines: string): string {
  if (lines === '[]') return '[]';
  return `${list}.filter(${name}, ${cond}).map(${name}, (${lines}).join(" | ")).filter(s, s != "")`;
}

/** From v1.25 pods with spec.os.name == "windows" are not checked (check.ts isWindowsPod). */
export function unlessWindows(compile: ControlCompile): ControlCompile {
  return (ctx) => guard('variables.spec.?os.?name.orValue("") == "windows"', compile(ctx));
}

/** From v1.35 pods with spec.hostUsers == false are not checked (check.ts isUserNamespacePod). */
export function unlessUserNamespace(compile: ControlCompile): ControlCompile {
  return (ctx) => guard('variables.spec.?hostUsers.orValue(true) == false', compile(ctx));
}

function guard(skip: string, lines: string | { reason: string }): string | { reason: string } {
  if (typeof lines !== 'string' || lines === '[]') return lines;
  return `(${skip} ? [] : ${lines})`;
}

/** Levels of first-occurrence deduplication unrolled by `dedupCel` (see there). */
export const DEDUP_DEPTH = 16;

/**
 * CEL list<string>: `list` without repeated values, each kept where it first occurs (the engine's
 * `[...new Set(list)]`). CEL in Kubernetes 1.30 has no index-aware comprehension, so the list is
 * peeled: its first value, then the rest without that value, DEDUP_DEPTH levels deep (each level
 * costs one pass over the list; an empty rest ends it). Exact unless the list still repeats a
 * value after its first DEDUP_DEPTH distinct values are taken out (then those repeats stay).
 */
export function dedupCel(list: string): string {
  const level = (i: number): string => {
    const d = `dd${i}`;
    if (i === DEDUP_DEPTH) return d;
    return `(size(${d}) == 0 ? ${d} : [${d}[0]] + [${d}.filter(x, x != ${d}[0])].map(dd${i + 1}, ${level(i + 1)})[0])`;
  };
  return `[${list}].map(dd0, ${level(0)})[0]`;
}

/** `(cond ? lines : [])`. */
export function slot(cond: string, lines: string): string {
  return lines === '[]' ? '[]' : `(${cond} ? ${lines} : [])`;
}

/** Concatenation of CEL lists (`[]` when none). */
export function concat(parts: readonly string[]): string {
  const used = parts.filter((p) => p !== '[]');
  return used.length === 0 ? '[]' : used.join(' + ');
}

/** What JSON.stringify escapes in a string (no lone surrogates: CEL strings have none). */
const JSON_ESCAPES: readonly (readonly [string, string])[] = [
  ['"', '\\"'],
  ['\\', '\\\\'],
  ...Array.from({ length: 0x20 }, (_, c): readonly [string, string] => {
    const short: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
    return [String.fromCharCode(c), short[c] ?? `\\u${c.toString(16).padStart(4, '0')}`];
  }),
];

/**
 * JSON.stringify of a string (check.ts `show` of a string list element): character by character
 * through a constant map of the escapes (one pass; `split("")` gives code points in cel-go, UTF-16
 * units in cel-js, and no surrogate is escaped, so both rejoin to the same text).
 */
export function jsonStringCel(s: string): string {
  const escapes = `{${JSON_ESCAPES.map(([c, e]) => `${celString(c)}: ${celString(e)}`).join(', ')}}`;
  return `"\\"" + [${escapes}].map(je, ${s}.split("").map(jc, jc in je ? je[jc] : jc).join(""))[0] + "\\""`;
}

/** JSON.stringify of a CEL list<string> (check.ts `show` of a string list). */
export function jsonStringListCel(list: string): string {
  return `"[" + ${list}.map(jx, ${jsonStringCel('jx')}).join(",") + "]"`;
}

/** `true` / `false` for a CEL bool (check.ts `show`). */
export function showBool(b: string): string {
  return `(${b} ? "true" : "false")`;
}

export type FindingValues =
  /** The engine's finding has no `values`: an exemption entry listing values never relieves it. */
  | { kind: 'none' }
  /** One offending value (CEL string). */
  | { kind: 'one'; cel: string }
  /** Several offending values (CEL list<string> without duplicates): entries may relieve some. */
  | { kind: 'many'; cel: string };

export interface FindingShape {
  level: 'pod' | 'container';
  /** The field relative to the pod spec or the container; `[#]` stands for the item index `item`. */
  relative: string;
  /** CEL int: the index `[#]` stands for (ports, volumes). */
  item?: string;
  exemptField?: string;
  values: FindingValues;
  allowed: string;
  /** CEL string: the engine finding's message. */
  message: string;
  /**
   * The finding's exempt-field candidates when they are not derived from `relative` (annotation
   * fields, fields whose last segment is known only at admission); the default is fieldsOf.
   */
  fields?: Pick<ExemptionFinding, 'fields' | 'fieldCel'>;
}

/** CEL string: `relative` with its item index written in. */
export function relativeText(relative: string, item?: string): string {
  const at = relative.indexOf('[#]');
  if (at < 0) return celString(relative);
  if (item === undefined) throw new Error(`${relative}: no item index`);
  return `${celString(`${relative.slice(0, at)}[`)} + string(${item}) + ${celString(`]${relative.slice(at + 3)}`)}`;
}

/** CEL string: `pod <spec field>.<relative>=<value> is not allowed` (check.ts podFinding). */
export function podMessage(relative: string, value: string, item?: string): string {
  return `"pod " + variables.specField + "." + ${relativeText(relative, item)} + "=" + ${value} + " is not allowed"`;
}

/** CEL string: `<container label> <relative>=<value> is not allowed` (check.ts containerFinding). */
export function containerMessage(relative: string, value: string, item?: string): string {
  return `cl + " " + ${relativeText(relative, item)} + "=" + ${value} + " is not allowed"`;
}

const INDEX = '(0|[1-9][0-9]{0,8})';

/** An anchored pattern for `relative`, its `[#]` capturing the index. */
function relativePattern(relative: string): string {
  return re2Literal(relative).replace('\\[#\\]', `\\[${INDEX}\\]`);
}

/** CEL bool: the container `c` is `spec.<kind>[index]` (container names are unique in a pod). */
function containerAt(kind: string, index: number): string {
  return `(has(variables.spec.${kind}) ? (size(variables.spec.${kind}) > ${index} ? variables.spec.${kind}[${index}].name == c.name : false) : false)`;
}

/**
 * The finding's exempt-field candidates (exemptions.ts `entryEffect`: the exempt field, the field
 * relative to the container, the full field) — those known at synth, and a CEL test for those
 * holding indexes (containers, ports, volumes).
 */
function fieldsOf(f: FindingShape): Pick<ExemptionFinding, 'fields' | 'fieldCel'> {
  const dynamic = f.relative.includes('[#]');
  const fields = (t: Target): (string | undefined)[] => [
    f.exemptField,
    f.level === 'container' && !dynamic ? f.relative : undefined,
    f.level === 'pod' && !dynamic ? `${fieldOf(t.podSpecPath)}.${f.relative}` : undefined,
  ];
  const fieldCel = (field: string, t: Target): string => {
    const out: string[] = [];
    const rel = relativePattern(f.relative);
    const itemIs = (m: RegExpExecArray, group: number): string[] => (dynamic ? [`${f.item ?? '-1'} == ${m[group]}`] : []);
    const spec = re2Literal(fieldOf(t.podSpecPath));
    if (f.level === 'container') {
      if (dynamic) {
        const m = new RegExp(`^${rel}$`).exec(field);
        if (m !== null) out.push(itemIs(m, 1).join(' && '));
      }
      const m = new RegExp(`^${spec}\\.(initContainers|containers|ephemeralContainers)\\[${INDEX}\\]\\.${rel}$`).exec(field);
      if (m !== null) out.push([containerAt(m[1], Number(m[2])), ...itemIs(m, 3)].join(' && '));
    } else if (dynamic) {
      const m = new RegExp(`^${spec}\\.${rel}$`).exec(field);
      if (m !== null) out.push(itemIs(m, 1).join(' && '));
    }
    return out.length === 0 ? 'false' : out.map((x) => `(${x})`).join(' || ');
  };
  return { fields, fieldCel };
}

/** `rr[0] + rr[1].filter(not in rr[0]) + …`: the relieved values, each once, in the engine's order. */
function relievedInOrder(count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const before = Array.from({ length: i }, (_, j) => `rr[${j}]`).join(' + ');
    parts.push(i === 0 ? 'rr[0]' : `rr[${i}].filter(rx, !(rx in ${before}))`);
  }
  return parts.join(' + ');
}

/**
 * A finding with several values under partial relief (exemptions.ts applyExemptions, messages.ts
 * findingText): relieved entirely by a term without values or when every value is relieved;
 * otherwise the remaining values with `(exempted: …)`, or the finding's own message when none is.
 */
function manyValuesLines(ctx: ControlContext, f: FindingShape, values: string, terms: readonly ExemptionTerm[], line: string): string {
  const whole = singleValueRelief(
    terms.filter((t) => t.values === undefined),
    undefined,
  );
  const partial = terms.filter((t) => t.values !== undefined);
  if (partial.length === 0) return unless(whole, line);
  const relievedBy = partial.map((t) => `(${t.when} ? rv.filter(rx, rx in ${celStringList(t.values ?? [])}) : [])`);
  const who = f.level === 'container' ? `"container \\"" + c.name + "\\" "` : '""';
  const field = f.exemptField !== undefined ? celString(f.exemptField) : f.level === 'pod' ? `variables.specField + "." + ${relativeText(f.relative, f.item)}` : 'undefined';
  if (field === 'undefined') throw new Error(`${ctx.control}: a container finding with several values needs an exempt field`);
  const text = `${who} + ${field} + "=" + rm.join(",") + " is not allowed (exempted: " + rl.join(",") + ")"`;
  const partialLine = lineCel(ctx.policy, ctx.ruleName, ctx.control, f.allowed, `(${text})`);
  const body =
    `[${values}].map(rv, [[${relievedBy.join(', ')}]].map(rr, [${relievedInOrder(partial.length)}].map(rl, ` +
    `[rv.filter(rx, !(rx in rl))].map(rm, size(rm) == 0 ? [] : size(rl) == 0 ? [${line}] : [${partialLine}])[0])[0])[0])[0]`;
  if (whole === 'true') return '[]';
  return whole === 'false' ? body : `(${whole} ? [] : ${body})`;
}

/** CEL list<string>: the finding's line, unless the policy's exemptions relieve it. */
export function findingLines(ctx: ControlContext, f: FindingShape): string | { reason: string } {
  const terms = ctx.terms({ ...(f.fields ?? fieldsOf(f)), ...(f.level === 'container' ? { image: 'c.image' } : {}) });
  if (!Array.isArray(terms)) return terms;
  // lineCel reads the text twice (its `(allowed:` test): a long message is computed once, bound to `mt`.
  const line =
    f.message.length > 200
      ? `[${f.message}].map(mt, ${lineCel(ctx.policy, ctx.ruleName, ctx.control, f.allowed, 'mt')})[0]`
      : lineCel(ctx.policy, ctx.ruleName, ctx.control, f.allowed, `(${f.message})`);
  if (f.values.kind === 'many') return manyValuesLines(ctx, f, f.values.cel, terms, line);
  return unless(singleValueRelief(terms, f.values.kind === 'one' ? f.values.cel : undefined), line);
}

/**
 * requireResources as CEL (runtime/engine/rules/require-resources.ts): per container
 * (initContainers, then containers; ephemeral containers are skipped), in the engine's order:
 * the required limits it lacks, each cpu/memory limit that is not a valid quantity (with the
 * parser's reason, runtime/engine/quantity.ts) or is negative, the same for requests, then per
 * resource a request above its limit and a limit above the rule's ceiling (`maxLimits`).
 * Comparisons and signs use the Kubernetes CEL quantity library (`quantity`, `isQuantity`,
 * `sign`, `isGreaterThan`), which is exact like the engine's rational arithmetic.
 *
 * Input domain (compile.ts): the API server decodes every resource quantity and serializes it in
 * its canonical form, so the values CEL and the webhook read are canonical quantity strings (or
 * ints), without digits below 1n and never null, and `resources.limits`/`requests` are maps. The
 * engine's parser is still reproduced in full (empty, longer than 64 characters, no digits,
 * suffixes, exponent bounds), with the engine's reasons, so a value the engine refuses gets the
 * engine's line; a string the engine accepts but Kubernetes would not (outside the domain) is
 * only guarded (`isQuantity`) so that CEL never errors.
 *
 * Lines: a container can give several findings and CEL in Kubernetes 1.30 has no flatten: each
 * container gives its lines joined with ` | ` (the join of the validation's message), and
 * containers without findings give "" and are dropped.
 *
 * Exemptions: the missing-resources finding has several values (`cpu`, `memory`), so an exemption
 * can relieve some of them: the line then becomes the engine's `resources.limits=<rest> is not
 * allowed (exempted: <relieved>)`. A request above its limit has no values: an entry narrowing by
 * values never relieves it. A field naming the container by index
 * (`spec.containers[1].resources.limits`) is tested through its name (index-fields.ts).
 *
 * The Pod-defaults relief: with both the Pod target and controller targets in a policy matching
 * CREATE, a controller's template is judged as its Pods will be after the bundle's Pod defaults
 * (pod-defaults-relief.ts). Given the bundle (CompileOptions.podDefaults) the relief is compiled:
 * each Enforce Pod defaultResources rule is applied to the container tuples in order, when its
 * policy selects the template's Pods (pod-defaults-cel.ts), recording what it added; when the
 * rule's own policy backs the controller with its Pod rule and some default (resources or
 * seccomp) added something, the relieved tuples are judged, and findings naming an added value
 * carry the engine's note. Without the bundle such a rule is refused.
 *
 * Not compiled (the reason is given): a Pod+controller rule without the bundle; a Pod default or
 * ceiling Kubernetes would read otherwise (below); an exemption narrowing by image; a
 * `maxLimits` value the engine cannot parse, or one Kubernetes would round (digits below 1n) or
 * might read otherwise (not `digits[.digits]` with a suffix or an exponent).
 */
import type { DefaultResourcesRule, Policy, RequireResourcesRule } from '../bundle';
import { parseQuantity } from '../engine/quantity';
import { celString } from './cel-text';
import { lineCelDynamic } from './dynamic-line';
import { lineCel, type FamilyCompiler, type FamilyContext } from './families';
import { containerFieldCel } from './index-fields';
import { podDefaultsOf, reliefAppliesCel, reliefNoteCel, seccompAddsCel, selectsTemplatePods } from './pod-defaults-cel';

const CONTROL = 'requireResources';
const RESOURCES = ['cpu', 'memory'] as const;
type Resource = (typeof RESOURCES)[number];
const BLOCKS = ['limits', 'requests'] as const;
type Block = (typeof BLOCKS)[number];

/** "absent" in the tuple: no string a quantity field can hold (NUL is not part of any quantity). */
const ABSENT = '"\\u0000"';
const MANTISSA = '^[+-]?[0-9]*(\\.[0-9]*)?';
const HAS_DIGITS = '^[+-]?\\.?[0-9]';
/** The suffixes parseQuantity accepts: decimal and binary SI, exponents of at most 100 in magnitude. */
const VALID_SUFFIX = '^([numkMGTPE]|[KMGTPE]i|[eE][+-]?0*([0-9]{1,2}|100))?$';
const EXPONENT_DIGITS = '^[eE][+-]?[0-9]+$';
const EXPONENT_SIGN_ONLY = '^[eE][+-]$';
/** A ceiling Kubernetes certainly parses as the engine does. */
const PLAIN_QUANTITY = /^[+-]?[0-9]+(\.[0-9]+)?([numkMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]+)?$/;

/**
 * Tuple layout per container: name, the four values, the two block states, whether `resources` is
 * present, then per value its suffix, reason and sign; with the Pod-defaults relief, flags after.
 */
const NAME = 0;
function valueAt(block: Block, r: Resource): number {
  return 1 + (block === 'limits' ? 0 : 2) + (r === 'cpu' ? 0 : 1);
}
function blockAt(block: Block): number {
  return block === 'limits' ? 5 : 6;
}
const RESOURCES_PRESENT = 7;
const suffixAt = (i: number): number => i + 7; // 8..11
const reasonAt = (i: number): number => i + 11; // 12..15
const negativeAt = (i: number): number => i + 15; // 16..19
/** Relief flags ("1" or ""): the defaults added the whole `resources`, a whole block, one value; default j added something. */
const TOUCH_ALL = 20;
const touchBlockAt = (block: Block): number => (block === 'limits' ? 21 : 22);
const touchValueAt = (i: number): number => i + 22; // 23..26
const addedAt = (j: number): number => 27 + j;
const t = (i: number): string => `t[${i}]`;
const VALUE_SLOTS = [1, 2, 3, 4];

/** Stage 1: `[name, limits.cpu, limits.memory, requests.cpu, requests.memory, limits state, requests state, resources present]`. */
function containerTuple(): string {
  const value = (b: Block, r: Resource): string => `(c.?resources.?${b}.?${r}.hasValue() ? string(c.resources.${b}.${r}) : ${ABSENT})`;
  const state = (b: Block): string => `(!c.?resources.?${b}.hasValue() ? "absent" : size(c.resources.${b}) == 0 ? "empty" : "map")`;
  const values = BLOCKS.flatMap((b) => RESOURCES.map((r) => value(b, r)));
  return `[string(c.name), ${values.join(', ')}, ${state('limits')}, ${state('requests')}, (c.?resources.hasValue() ? "1" : "")]`;
}

/** Stage 2: the text after the number (parseQuantity's suffix). */
function suffixOf(i: number): string {
  const v = t(i);
  return `(${v} == ${ABSENT} ? "" : ${v}.substring(size(${v}.find(${celString(MANTISSA)}))))`;
}

/** Stage 3: parseQuantity's reason for slot i ("" when absent or valid), its checks in its order. */
function reasonOf(i: number): string {
  const v = t(i);
  const s = t(suffixAt(i));
  const q = `"\\"" + ${s} + "\\""`;
  return (
    `(${v} == ${ABSENT} ? "" : ${v} == "" ? "empty quantity" : size(${v}) > 64 ? "longer than 64 characters" : ` +
    `!${v}.matches(${celString(HAS_DIGITS)}) ? "no digits" : ${s}.matches(${celString(VALID_SUFFIX)}) ? "" : ` +
    `${s}.matches(${celString(EXPONENT_DIGITS)}) ? "exponent out of range " + ${q} : ${s}.matches(${celString(EXPONENT_SIGN_ONLY)}) ? "invalid exponent " + ${q} : ` +
    `"invalid suffix " + ${q} + ((${s}.startsWith("e") || ${s}.startsWith("E")) && size(${s}) > 1 ? "" : " (use n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent)"))`
  );
}

/** Stage 4: "-" when slot i holds a valid negative quantity. */
function negativeOf(i: number): string {
  const v = t(i);
  return `(${v} != ${ABSENT} && ${t(reasonAt(i))} == "" && isQuantity(${v}) && quantity(${v}).sign() < 0 ? "-" : "")`;
}

/** Slot i holds a valid, non-negative quantity that Kubernetes parses. */
function usable(i: number): string {
  const v = t(i);
  return `(${v} != ${ABSENT} && ${t(reasonAt(i))} == "" && ${t(negativeAt(i))} == "" && isQuantity(${v}))`;
}

function showString(v: string): string {
  return `(size(${v}) > 120 ? ${v}.substring(0, 120) + "…" : ${v})`;
}

const CONTAINER = `${celString('container "')} + ${t(NAME)} + "\\""`;

/** A string no exemption entry of the policy lists: the value of a finding that has none. */
function noValue(policy: Policy): string {
  const listed = new Set(policy.exemptions.flatMap((e) => e.controls.flatMap((c) => c.values ?? [])));
  let s = '\u0000';
  while (listed.has(s)) s += '\u0000';
  return celString(s);
}

type Exempt = string | { reason: string };

/** `[line]`-like CEL string: "" when `exempt` holds, else the line. */
function unlessText(exempt: string, line: string): string {
  if (exempt === 'true') return '""';
  if (exempt === 'false') return line;
  return `(${exempt} ? "" : ${line})`;
}

/** CEL bool: a finding on `field` names something the Pod defaults added (pod-defaults-relief.ts reliefNote). */
function touched(block: Block, slots: readonly number[]): string {
  return [TOUCH_ALL, touchBlockAt(block), ...slots.map(touchValueAt)].map((i) => `${t(i)} == "1"`).join(' || ');
}

/**
 * The findings of one container, as CEL strings ("" for none), in the engine's order. With the
 * relief, `note` is the CEL string of the relief note, appended to the findings it concerns.
 */
function containerLines(rule: RequireResourcesRule, ctx: FamilyContext, note?: string): string[] | { reason: string } {
  const noted = (text: string, when: string): string => (note === undefined ? text : `${text} + (${when} ? ${note} : "")`);
  const line = (allowed: string | undefined, text: string): string => lineCel(ctx.policy, ctx.ruleName, CONTROL, allowed, `(${text})`);
  // Container names (DNS labels) and valid quantities cannot contain `(allowed:`: no test needed.
  const plainLine = (allowed: string, text: string): string => lineCelDynamic(ctx.policy, ctx.ruleName, CONTROL, allowed, `(${text})`, false);
  // Container findings: an entry narrowing by image makes ctx.exemption refuse (no image globs here).
  const exemption = (value: string, field: string): Exempt =>
    ctx.exemption(CONTROL, { value, image: '""', fields: () => [field], fieldCel: containerFieldCel(field, t(NAME)) });
  const out: string[] = [];
  const unique = (list: readonly string[]): Resource[] => list.filter((r, i, a) => a.indexOf(r) === i) as Resource[];
  for (const block of BLOCKS) {
    const required = unique(block === 'limits' ? rule.limits : rule.requests);
    if (required.length > 0) {
      const missing = (r: Resource): string => `${t(valueAt(block, r))} == ${ABSENT}`;
      const relieves: Record<string, string> = {};
      for (const r of required) {
        const e = exemption(celString(r), `resources.${block}`);
        if (typeof e !== 'string') return e;
        relieves[r] = e;
      }
      const list = (cond: (r: Resource) => string): string => required.map((r) => `(${cond(r)} ? [${celString(r)}] : [])`).join(' + ');
      const all = list(missing);
      const remaining = list((r) => `${missing(r)} && !(${relieves[r]})`);
      const relieved = list((r) => `${missing(r)} && (${relieves[r]})`);
      const what = block === 'limits' ? 'limit' : 'request';
      const how = `(${t(blockAt(block))} == "empty" ? ${celString(` (resources.${block} is explicitly empty)`)} : "")`;
      const fullText = `${CONTAINER} + " has no " + (${all}).join(" and ") + ${celString(` ${what}`)} + ${how} + ${celString(`: resources.${block}.`)} + (${all}).join("/") + " is required"`;
      const full = line(undefined, noted(fullText, touched(block, RESOURCES.map((x) => valueAt(block, x)))));
      const partial = line(undefined, `${CONTAINER} + ${celString(` resources.${block}=`)} + (${remaining}).join(",") + " is not allowed (exempted: " + (${relieved}).join(",") + ")"`);
      out.push(`(size(${all}) == 0 || size(${remaining}) == 0 ? "" : size(${relieved}) > 0 ? ${partial} : ${full})`);
    }
    for (const r of RESOURCES) {
      const i = valueAt(block, r);
      const field = `resources.${block}.${r}`;
      const shown = showString(t(i));
      const invalidExempt = exemption(shown, field);
      if (typeof invalidExempt !== 'string') return invalidExempt;
      const here = touched(block, [i]);
      const invalid = line('a Kubernetes quantity such as 500m, 2, 128Mi or 1Gi', noted(`${CONTAINER} + ${celString(` ${field}=`)} + ${shown} + " is not a valid quantity (" + ${t(reasonAt(i))} + ")"`, here));
      const negativeExempt = exemption(t(i), field);
      if (typeof negativeExempt !== 'string') return negativeExempt;
      const negative = plainLine('"a quantity >= 0"', noted(`${CONTAINER} + ${celString(` ${field}=`)} + ${t(i)} + " is not allowed: quantities must not be negative"`, here));
      out.push(`(${t(reasonAt(i))} != "" ? ${unlessText(invalidExempt, invalid)} : ${t(negativeAt(i))} != "" ? ${unlessText(negativeExempt, negative)} : "")`);
    }
  }
  for (const r of RESOURCES) {
    const lim = valueAt('limits', r);
    const req = valueAt('requests', r);
    const exceedsExempt = exemption(noValue(ctx.policy), `resources.requests.${r}`);
    if (typeof exceedsExempt !== 'string') return exceedsExempt;
    const exceeds = plainLine(`"<= the limit " + ${t(lim)}`, noted(`${CONTAINER} + ${celString(` resources.requests.${r}=`)} + ${t(req)} + " is not allowed: it exceeds the limit " + ${t(lim)}`, touched('requests', [req])));
    out.push(`(${usable(lim)} && ${usable(req)} && quantity(${t(req)}).isGreaterThan(quantity(${t(lim)})) ? ${unlessText(exceedsExempt, exceeds)} : "")`);
    const max = rule.maxLimits?.[r];
    if (max !== undefined) {
      const ceilingExempt = exemption(t(lim), `resources.limits.${r}`);
      if (typeof ceilingExempt !== 'string') return ceilingExempt;
      const ceiling = plainLine(celString(`<= ${max}`), noted(`${CONTAINER} + ${celString(` resources.limits.${r}=`)} + ${t(lim)} + ${celString(` is not allowed: it exceeds the ceiling ${max}`)}`, touched('limits', [lim])));
      out.push(`(${usable(lim)} && quantity(${t(lim)}).isGreaterThan(quantity(${celString(max)})) ? ${unlessText(ceilingExempt, ceiling)} : "")`);
    }
  }
  return out;
}

/** Why a quantity of the bundle (a ceiling, a default) cannot be compiled, or undefined. */
function quantityProblem(what: string, text: string): string | undefined {
  const parsed = parseQuantity(text);
  if (!parsed.ok) return `${what} "${text}" is not a valid quantity (${parsed.reason}): the engine reports an evaluation error`;
  const { numerator, denominator } = parsed.quantity;
  if ((numerator * 1_000_000_000n) % denominator !== 0n) return `${what} "${text}" has digits below 1n, which Kubernetes rounds`;
  if (!PLAIN_QUANTITY.test(text)) return `${what} "${text}" is not written digits[.digits] with a suffix or an exponent, which is all this version compiles`;
  return undefined;
}

function ceilingProblem(rule: RequireResourcesRule): string | undefined {
  for (const r of RESOURCES) {
    const max = rule.maxLimits?.[r];
    if (max === undefined) continue;
    const problem = quantityProblem(`maxLimits.${r}`, max);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** CEL bool: slot i holds a value the engine parses (its reason is ""), or holds none / a malformed one. */
const present = (i: number): string => `${t(i)} != ${ABSENT}`;
const validAt = (i: number): string => `(${present(i)} && ${t(reasonAt(i))} == "")`;
const invalidAt = (i: number): string => `(${present(i)} && ${t(reasonAt(i))} != "")`;

/**
 * One defaultResources rule applied to every container tuple (default-resources.ts defaultsFor and
 * patchesFor): a missing limit gets the default (or the request, when larger), a missing request
 * the default (or the limit, when smaller), never into an explicitly empty block nor next to a
 * malformed value; `applies` (CEL bool) says whether its policy selects the template's Pods. The
 * flags record what was added, as the patch would (whole `resources`, whole block, one value).
 */
function defaultStage(d: DefaultResourcesRule, j: number, applies: string, flags: number): string {
  const out: string[] = Array.from({ length: flags }, (_, i) => t(i));
  const addedL: string[] = [];
  const addedR: string[] = [];
  const any: string[] = [];
  for (const r of RESOURCES) {
    const l = valueAt('limits', r);
    const q = valueAt('requests', r);
    const dL = d.limits[r];
    const dR = d.requests[r];
    const neg = (text: string): string => celString((parseQuantity(text) as { ok: true; quantity: { numerator: bigint } }).quantity.numerator < 0n ? '-' : '');
    let newL = t(l);
    let newLNeg = t(negativeAt(l));
    let addL = 'false';
    if (dL !== undefined) {
      addL = `(${applies} && ${t(l)} == ${ABSENT} && ${t(blockAt('limits'))} != "empty" && !${invalidAt(q)})`;
      const keep = `(!isQuantity(${t(q)}) || quantity(${celString(dL)}).compareTo(quantity(${t(q)})) >= 0)`;
      newL = `(${addL} ? (${validAt(q)} ? (${keep} ? ${celString(dL)} : ${t(q)}) : ${celString(dL)}) : ${t(l)})`;
      newLNeg = `(${addL} ? (${validAt(q)} ? (${keep} ? ${neg(dL)} : ${t(negativeAt(q))}) : ${neg(dL)}) : ${t(negativeAt(l))})`;
      out[l] = newL;
      out[reasonAt(l)] = `(${addL} ? "" : ${t(reasonAt(l))})`;
      out[negativeAt(l)] = newLNeg;
    }
    let addR = 'false';
    if (dR !== undefined) {
      addR = `(${applies} && ${t(q)} == ${ABSENT} && ${t(blockAt('requests'))} != "empty" && !${invalidAt(l)})`;
      const limitValid = `(${addL} || ${validAt(l)})`;
      const keep = `(!isQuantity(${newL}) || quantity(${celString(dR)}).compareTo(quantity(${newL})) <= 0)`;
      out[q] = `(${addR} ? (${limitValid} ? (${keep} ? ${celString(dR)} : ${newL}) : ${celString(dR)}) : ${t(q)})`;
      out[reasonAt(q)] = `(${addR} ? "" : ${t(reasonAt(q))})`;
      out[negativeAt(q)] = `(${addR} ? (${limitValid} ? (${keep} ? ${neg(dR)} : ${newLNeg}) : ${neg(dR)}) : ${t(negativeAt(q))})`;
    }
    addedL.push(addL);
    addedR.push(addR);
    any.push(addL, addR);
    const flag = (cond: string, i: number): string => `(${t(i)} == "1" || (${cond}) ? "1" : "")`;
    out[touchValueAt(l)] = flag(`${t(RESOURCES_PRESENT)} == "1" && ${t(blockAt('limits'))} != "absent" && ${addL}`, touchValueAt(l));
    out[touchValueAt(q)] = flag(`${t(RESOURCES_PRESENT)} == "1" && ${t(blockAt('requests'))} != "absent" && ${addR}`, touchValueAt(q));
  }
  const someL = addedL.join(' || ');
  const someR = addedR.join(' || ');
  const some = any.join(' || ');
  out[blockAt('limits')] = `(${t(blockAt('limits'))} == "absent" && (${someL}) ? "map" : ${t(blockAt('limits'))})`;
  out[blockAt('requests')] = `(${t(blockAt('requests'))} == "absent" && (${someR}) ? "map" : ${t(blockAt('requests'))})`;
  out[RESOURCES_PRESENT] = `(${t(RESOURCES_PRESENT)} == "1" || (${some}) ? "1" : "")`;
  out[TOUCH_ALL] = `(${t(TOUCH_ALL)} == "1" || (${t(RESOURCES_PRESENT)} != "1" && (${some})) ? "1" : "")`;
  out[touchBlockAt('limits')] = `(${t(touchBlockAt('limits'))} == "1" || (${t(RESOURCES_PRESENT)} == "1" && ${t(blockAt('limits'))} == "absent" && (${someL})) ? "1" : "")`;
  out[touchBlockAt('requests')] = `(${t(touchBlockAt('requests'))} == "1" || (${t(RESOURCES_PRESENT)} == "1" && ${t(blockAt('requests'))} == "absent" && (${someR})) ? "1" : "")`;
  out[addedAt(j)] = `(${some} ? "1" : "")`;
  return `.map(t, [${out.join(', ')}])`;
}

type WithPodDefaults = FamilyContext & { podDefaults?: readonly Policy[] };

/**
 * The relief pieces for this rule, `undefined` when no controller of it can be relieved (no
 * controller target, no Pod CREATE backing it, or no Pod resource default in the bundle), or the
 * reason it cannot be compiled.
 */
function reliefOf(ctx: FamilyContext): { init: string; stages: string; note: string; applies: string } | undefined | { reason: string } {
  const backed = ctx.targets.some((x) => x.kind === 'Pod') && ctx.policy.match.operations.includes('CREATE');
  if (!backed || !ctx.targets.some((x) => x.kind !== 'Pod')) return undefined;
  const bundle = (ctx as WithPodDefaults).podDefaults;
  if (bundle === undefined) {
    return {
      reason:
        "a controller's template is judged as its Pods will be after the bundle's Pod defaults (runtime/engine/pod-defaults-relief.ts), and this compile was not given the bundle's policies",
    };
  }
  const defaults = podDefaultsOf(bundle);
  // A default the engine cannot parse throws in the mutator, which then adds nothing.
  const resources = defaults.resources.filter(({ rule }) =>
    RESOURCES.every((r) => [rule.limits[r], rule.requests[r]].every((x) => x === undefined || parseQuantity(x).ok)),
  );
  if (resources.length === 0) return undefined;
  for (const { policy, rule } of resources) {
    if (policy.name.includes('(allowed:')) return { reason: `defaults policy "${policy.name}" has "(allowed:" in its name` };
    for (const r of RESOURCES) {
      for (const [what, x] of [[`limits.${r}`, rule.limits[r]], [`requests.${r}`, rule.requests[r]]] as const) {
        const problem = x === undefined ? undefined : quantityProblem(`Pod default ${policy.name}/${rule.name} ${what}`, x);
        if (problem !== undefined) return { reason: problem };
      }
    }
  }
  const flags = addedAt(resources.length);
  const init = `.map(t, t + [${Array.from({ length: flags - TOUCH_ALL }, () => '""').join(', ')}])`;
  const stages = resources.map(({ policy, rule }, j) => defaultStage(rule, j, selectsTemplatePods(policy, false), flags)).join('');
  const seccompSelects = defaults.seccomp.map(({ policy }) => selectsTemplatePods(policy, false));
  const entries = [
    ...resources.map(({ policy }, j) => ({ policy: policy.name, added: `rb.exists(t, ${t(addedAt(j))} == "1")` })),
    ...defaults.seccomp.map(({ policy }, k) => {
      const earlier = seccompSelects.slice(0, k).filter((x) => x !== 'false');
      const first = earlier.length === 0 ? '' : ` && !(${earlier.map((x) => `(${x})`).join(' || ')})`;
      return { policy: policy.name, added: `(${seccompSelects[k]}) && ${seccompAddsCel()}${first}` };
    }),
  ];
  return { init, stages, note: reliefNoteCel(entries), applies: reliefAppliesCel(ctx.policy) };
}

export const requireResources: FamilyCompiler = (r, ctx) => {
  const rule = r as RequireResourcesRule;
  const problem = ceilingProblem(rule);
  if (problem !== undefined) return { reason: problem };
  const relief = reliefOf(ctx);
  if (relief !== undefined && 'reason' in relief) return relief;
  const lines = containerLines(rule, ctx, relief === undefined ? undefined : 'note');
  if (!Array.isArray(lines)) return lines;
  const containers = `((has(variables.spec.initContainers) ? variables.spec.initContainers : []) + (has(variables.spec.containers) ? variables.spec.containers : []))`;
  const stage = (make: (i: number) => string): string => `.map(t, t + [${VALUE_SLOTS.map(make).join(', ')}])`;
  const admitted = `${containers}.map(c, ${containerTuple()})${stage(suffixOf)}${stage(reasonOf)}${stage(negativeOf)}`;
  const toLines = `.map(t, [${lines.join(', ')}].filter(s1, s1 != "").join(" | ")).filter(s2, s2 != "")`;
  if (relief === undefined) return `${admitted}${toLines}`;
  // Bound once each (a one-element list's map): the admitted tuples, the relieved ones, the note.
  return (
    `[${admitted}${relief.init}].map(ra, [ra${relief.stages}].map(rb, [${relief.note}].map(note, ` +
    `((${relief.applies}) && note != "" ? rb : ra)${toLines})[0])[0])[0]`
  );
};

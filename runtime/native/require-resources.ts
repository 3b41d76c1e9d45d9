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
 * Not compiled (the reason is given): a rule with both the Pod target and controller targets in a
 * policy matching CREATE — a controller's template is then judged after the bundle's Pod defaults
 * (pod-defaults-relief.ts), which depend on other policies (Pod-only, controller-only and
 * UPDATE-only rules compile); an exemption narrowing by image; a
 * `maxLimits` value the engine cannot parse, or one Kubernetes would round (digits below 1n) or
 * might read otherwise (not `digits[.digits]` with a suffix or an exponent).
 */
import type { Policy, RequireResourcesRule } from '../bundle';
import { parseQuantity } from '../engine/quantity';
import { celString } from './cel-text';
import { lineCelDynamic } from './dynamic-line';
import { lineCel, type FamilyCompiler, type FamilyContext } from './families';
import { containerFieldCel } from './index-fields';

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

/** Tuple layout per container: name, the four values, the two block states, then per value its suffix, reason and sign. */
const NAME = 0;
function valueAt(block: Block, r: Resource): number {
  return 1 + (block === 'limits' ? 0 : 2) + (r === 'cpu' ? 0 : 1);
}
function blockAt(block: Block): number {
  return block === 'limits' ? 5 : 6;
}
const suffixAt = (i: number): number => i + 6; // 7..10
const reasonAt = (i: number): number => i + 10; // 11..14
const negativeAt = (i: number): number => i + 14; // 15..18
const t = (i: number): string => `t[${i}]`;
const VALUE_SLOTS = [1, 2, 3, 4];

/** Stage 1: `[name, limits.cpu, limits.memory, requests.cpu, requests.memory, limits state, requests state]`. */
function containerTuple(): string {
  const value = (b: Block, r: Resource): string => `(c.?resources.?${b}.?${r}.hasValue() ? string(c.resources.${b}.${r}) : ${ABSENT})`;
  const state = (b: Block): string => `(!c.?resources.?${b}.hasValue() ? "absent" : size(c.resources.${b}) == 0 ? "empty" : "map")`;
  const values = BLOCKS.flatMap((b) => RESOURCES.map((r) => value(b, r)));
  return `[string(c.name), ${values.join(', ')}, ${state('limits')}, ${state('requests')}]`;
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

/** The findings of one container, as CEL strings ("" for none), in the engine's order. */
function containerLines(rule: RequireResourcesRule, ctx: FamilyContext): string[] | { reason: string } {
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
      const full = line(undefined, `${CONTAINER} + " has no " + (${all}).join(" and ") + ${celString(` ${what}`)} + ${how} + ${celString(`: resources.${block}.`)} + (${all}).join("/") + " is required"`);
      const partial = line(undefined, `${CONTAINER} + ${celString(` resources.${block}=`)} + (${remaining}).join(",") + " is not allowed (exempted: " + (${relieved}).join(",") + ")"`);
      out.push(`(size(${all}) == 0 || size(${remaining}) == 0 ? "" : size(${relieved}) > 0 ? ${partial} : ${full})`);
    }
    for (const r of RESOURCES) {
      const i = valueAt(block, r);
      const field = `resources.${block}.${r}`;
      const shown = showString(t(i));
      const invalidExempt = exemption(shown, field);
      if (typeof invalidExempt !== 'string') return invalidExempt;
      const invalid = line('a Kubernetes quantity such as 500m, 2, 128Mi or 1Gi', `${CONTAINER} + ${celString(` ${field}=`)} + ${shown} + " is not a valid quantity (" + ${t(reasonAt(i))} + ")"`);
      const negativeExempt = exemption(t(i), field);
      if (typeof negativeExempt !== 'string') return negativeExempt;
      const negative = plainLine('"a quantity >= 0"', `${CONTAINER} + ${celString(` ${field}=`)} + ${t(i)} + " is not allowed: quantities must not be negative"`);
      out.push(`(${t(reasonAt(i))} != "" ? ${unlessText(invalidExempt, invalid)} : ${t(negativeAt(i))} != "" ? ${unlessText(negativeExempt, negative)} : "")`);
    }
  }
  for (const r of RESOURCES) {
    const lim = valueAt('limits', r);
    const req = valueAt('requests', r);
    const exceedsExempt = exemption(noValue(ctx.policy), `resources.requests.${r}`);
    if (typeof exceedsExempt !== 'string') return exceedsExempt;
    const exceeds = plainLine(`"<= the limit " + ${t(lim)}`, `${CONTAINER} + ${celString(` resources.requests.${r}=`)} + ${t(req)} + " is not allowed: it exceeds the limit " + ${t(lim)}`);
    out.push(`(${usable(lim)} && ${usable(req)} && quantity(${t(req)}).isGreaterThan(quantity(${t(lim)})) ? ${unlessText(exceedsExempt, exceeds)} : "")`);
    const max = rule.maxLimits?.[r];
    if (max !== undefined) {
      const ceilingExempt = exemption(t(lim), `resources.limits.${r}`);
      if (typeof ceilingExempt !== 'string') return ceilingExempt;
      const ceiling = plainLine(celString(`<= ${max}`), `${CONTAINER} + ${celString(` resources.limits.${r}=`)} + ${t(lim)} + ${celString(` is not allowed: it exceeds the ceiling ${max}`)}`);
      out.push(`(${usable(lim)} && quantity(${t(lim)}).isGreaterThan(quantity(${celString(max)})) ? ${unlessText(ceilingExempt, ceiling)} : "")`);
    }
  }
  return out;
}

/** Why a ceiling cannot be compiled, or undefined. */
function ceilingProblem(rule: RequireResourcesRule): string | undefined {
  for (const r of RESOURCES) {
    const max = rule.maxLimits?.[r];
    if (max === undefined) continue;
    const parsed = parseQuantity(max);
    if (!parsed.ok) return `maxLimits.${r} "${max}" is not a valid quantity (${parsed.reason}): the engine reports an evaluation error`;
    const { numerator, denominator } = parsed.quantity;
    if ((numerator * 1_000_000_000n) % denominator !== 0n) return `maxLimits.${r} "${max}" has digits below 1n, which Kubernetes rounds`;
    if (!PLAIN_QUANTITY.test(max)) return `maxLimits.${r} "${max}" is not written digits[.digits] with a suffix or an exponent, which is all this version compiles`;
  }
  return undefined;
}

export const requireResources: FamilyCompiler = (r, ctx) => {
  const rule = r as RequireResourcesRule;
  // The relief needs the Pod rule as a backstop selecting the template's Pods, i.e. a Pod CREATE
  // through this policy's match (podsValidatedToo): without CREATE no controller is ever relieved.
  const backed = ctx.targets.some((x) => x.kind === 'Pod') && ctx.policy.match.operations.includes('CREATE');
  if (backed && ctx.targets.some((x) => x.kind !== 'Pod')) {
    return {
      reason:
        "a controller's template is judged as its Pods will be after the bundle's Pod defaults (runtime/engine/pod-defaults-relief.ts), which depend on other policies: not compiled in this version",
    };
  }
  const problem = ceilingProblem(rule);
  if (problem !== undefined) return { reason: problem };
  const lines = containerLines(rule, ctx);
  if (!Array.isArray(lines)) return lines;
  const containers = `((has(variables.spec.initContainers) ? variables.spec.initContainers : []) + (has(variables.spec.containers) ? variables.spec.containers : []))`;
  const stage = (make: (i: number) => string): string => `.map(t, t + [${VALUE_SLOTS.map(make).join(', ')}])`;
  return (
    `${containers}.map(c, ${containerTuple()})${stage(suffixOf)}${stage(reasonOf)}${stage(negativeOf)}` +
    `.map(t, [${lines.join(', ')}].filter(s1, s1 != "").join(" | ")).filter(s2, s2 != "")`
  );
};

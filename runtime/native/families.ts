/**
 * Per-family CEL: each compiler returns a CEL `list<string>` expression of the rule's violation
 * lines after exemptions (the engine's `violationLine` text, finding by finding in the engine's
 * order), or the reason it cannot. The expressions read the variables compile.ts declares
 * (`spec`, `meta`, `specField`, `metaField`, `kind`, `objectLabels`). Each family's semantics are
 * the ones documented in runtime/engine/rules/<family>.ts; the differential tests prove equality.
 */
import type { HostNamespacesRule, Policy, RequireLabelsRule, Rule, RuleType, Target } from '../bundle';
import { exemptionHelp } from '../engine/messages';
import { checkPattern } from '../engine/safe-regex';
import { celString, re2Difference } from './cel-text';

export interface FamilyContext {
  policy: Policy;
  /** The rule name a developer knows (autogen copies report the Pod rule's name). */
  ruleName: string;
  targets: readonly Target[];
  /** CEL "an exemption relieves this finding" (compile.ts exemptionCel), or why not expressible. */
  exemption: (
    control: string,
    finding: { value: string; image?: string; fields: (t: Target) => (string | undefined)[] },
  ) => string | { reason: string };
}

export type FamilyCompiler = (rule: Rule, ctx: FamilyContext) => string | { reason: string };

function fieldOf(pointer: string): string {
  return pointer
    .slice(1)
    .split('/')
    .filter((t) => t !== '')
    .join('.');
}

/**
 * CEL for one violation line: `[policy/rule] control: <text>[ (allowed: …)]. To request an
 * exemption: <help>` (runtime/engine/messages.ts `violationMessage`, then the server's
 * `violationLine`, which trims). `text` is a CEL string expression.
 */
export function lineCel(policy: Policy, rule: string, control: string, allowed: string | undefined, text: string): string {
  const prefix = `[${policy.name}/${rule}] ${control}: `;
  const suffix = `. To request an exemption: ${exemptionHelp(policy, control)}`.trimEnd();
  let allowedPart = '';
  // `(allowed:` cannot straddle the prefix (it ends with ": ") and the text.
  if (allowed !== undefined && !prefix.includes('(allowed:')) {
    allowedPart = ` + (${text}.contains("(allowed:") ? "" : ${celString(` (allowed: ${allowed})`)})`;
  }
  return `${celString(prefix)} + ${text}${allowedPart} + ${celString(suffix)}`;
}

/** showValue of runtime/engine/own-fields.ts for a string (code points; see the README's caveat). */
function showString(v: string): string {
  return `(size(${v}) > 120 ? ${v}.substring(0, 120) + "…" : ${v})`;
}

function unless(exempt: string, line: string): string {
  if (exempt === 'true') return '[]';
  if (exempt === 'false') return `[${line}]`;
  return `(${exempt} ? [] : [${line}])`;
}

const hostNamespaces: FamilyCompiler = (r, ctx) => {
  const rule = r as HostNamespacesRule;
  const CONTROL = 'hostNamespaces';
  const parts: string[] = [];
  for (const ns of rule.deny.filter((n, i, a) => a.indexOf(n) === i)) {
    const value = `string(variables.spec.${ns})`;
    const exempt = ctx.exemption(CONTROL, { value, fields: (t) => [ns, undefined, `${fieldOf(t.podSpecPath)}.${ns}`] });
    if (typeof exempt !== 'string') return exempt;
    const text = `variables.specField + ${celString(`.${ns}=`)} + ${value} + " is not allowed"`;
    const line = lineCel(ctx.policy, ctx.ruleName, CONTROL, 'false or unset', `(${text})`);
    parts.push(`(has(variables.spec.${ns}) && variables.spec.${ns} != false ? ${unless(exempt, line)} : [])`);
  }
  return parts.join(' + ');
};

const LABEL_VALUE = '^(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

function labelField(metadataField: string, key: string): string {
  const base = metadataField === '' ? 'labels' : `${metadataField}.labels`;
  return /^[A-Za-z0-9_-]+$/.test(key) ? `${base}.${key}` : `${base}[${key}]`;
}

const requireLabels: FamilyCompiler = (r, ctx) => {
  const rule = r as RequireLabelsRule;
  const CONTROL = 'requireLabels';
  const labels = 'variables.meta.?labels.orValue({})';
  const parts: string[] = [];
  for (const { key, valuePattern } of rule.labels) {
    if (valuePattern !== undefined) {
      const unsafe = checkPattern(valuePattern);
      if (unsafe !== undefined) return { reason: `label ${key}: pattern refused by the engine (${unsafe})` };
      const diff = re2Difference(valuePattern);
      if (diff !== undefined) return { reason: `label ${key}: valuePattern ${JSON.stringify(valuePattern)}: ${diff}` };
    }
    const exempt = ctx.exemption(CONTROL, { value: celString(key), fields: (t) => ['labels', undefined, labelField(fieldOf(t.podMetadataPath), key)] });
    if (typeof exempt !== 'string') return exempt;
    const allowed = valuePattern === undefined ? 'a non-empty value' : `a value matching ${valuePattern}`;
    const k = celString(key);
    const v = `${labels}[${k}]`;
    const line = (text: string): string => unless(exempt, lineCel(ctx.policy, ctx.ruleName, CONTROL, allowed, `(${text})`));
    const missing = line(`${celString(`required label ${key} is missing from `)} + (variables.metaField == "" ? "labels" : variables.metaField + ".labels")`);
    const invalid = line(`${celString(`label ${key}=`)} + ${showString(v)} + " is not allowed: not a valid label value"`);
    const check =
      valuePattern === undefined
        ? `(${v} == "" ? ${line(celString(`label ${key}= is not allowed: the value must not be empty`))} : [])`
        : `(!${v}.matches(${celString(`^(?:${valuePattern})$`)}) ? ${line(`${celString(`label ${key}=`)} + ${showString(v)} + " is not allowed"`)} : [])`;
    parts.push(`(!(${k} in ${labels}) ? ${missing} : (size(${v}) > 63 || !${v}.matches(${celString(LABEL_VALUE)})) ? ${invalid} : ${check})`);
  }
  return parts.join(' + ');
};

/** The families compiled in this version; every other validating family stays on the webhook. */
export const FAMILY_COMPILERS: Partial<Record<RuleType, FamilyCompiler>> = {
  hostNamespaces,
  requireLabels,
};

/**
 * Per-family CEL: each compiler returns a CEL `list<string>` expression of the rule's violation
 * lines after exemptions (the engine's `violationLine` text, finding by finding in the engine's
 * order), or the reason it cannot. The expressions read the variables compile.ts declares
 * (`spec`, `meta`, `specField`, `metaField`, `kind`, `objectLabels`). Each family's semantics are
 * the ones documented in runtime/engine/rules/<family>.ts; the differential tests prove equality.
 */
import type { AllowedRegistriesRule, DenyRuntimeSocketRule, HostNamespacesRule, Policy, RequireLabelsRule, Rule, RuleType, Target } from '../bundle';
import { canonicalRunPath, normalizeHostPath } from '../engine/host-path';
import { checkImageGlob } from '../engine/image-ref';
import { exemptionHelp } from '../engine/messages';
import { checkPattern } from '../engine/safe-regex';
import { celString, celStringList, re2Difference } from './cel-text';
import type { ExemptionFinding, ExemptionTerm } from './compile';
import { hostPaths } from './host-paths';
import { IMG, imageGlobCel, parsedImagesCel } from './image-cel';
import { requireResources } from './require-resources';
import { podSecurity } from './pod-security';

export interface FamilyContext {
  policy: Policy;
  /** The rule name a developer knows (autogen copies report the Pod rule's name). */
  ruleName: string;
  targets: readonly Target[];
  /** CEL "an exemption relieves this finding" (compile.ts exemptionCel), or why not expressible. */
  exemption: (control: string, finding: ExemptionFinding & { value: string }) => string | { reason: string };
  /** The exemption terms for one finding of `control` (compile.ts exemptionTerms): partial relief. */
  exemptionTerms: (control: string, finding: ExemptionFinding) => ExemptionTerm[] | { reason: string };
}

export type FamilyCompiler = (rule: Rule, ctx: FamilyContext) => string | { reason: string };

export function fieldOf(pointer: string): string {
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
export function showString(v: string): string {
  return `(size(${v}) > 120 ? ${v}.substring(0, 120) + "…" : ${v})`;
}

/** CEL list<string>: `[line]` unless the CEL bool `exempt` holds. */
export function unless(exempt: string, line: string): string {
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

/** Ancestors of a normalized path, itself included (`/a/b` → `/`, `/a`, `/a/b`). */
function selfAndAncestors(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  return ['/', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)];
}

/**
 * Every normalized mounted path that exposes `socket` (runtime/engine/host-path.ts `exposesPath`),
 * as a finite set: `m` exposes it iff `m` or `canonicalRunPath(m)` is an ancestor-or-self of one of
 * the socket's spellings; the preimages of `canonicalRunPath` are the path itself (when canonical)
 * and its `/var/run` spelling.
 */
export function exposingPaths(socket: string): string[] {
  const canonical = canonicalRunPath(socket);
  const spellings = canonical === '/run' || canonical.startsWith('/run/') ? [canonical, `/var${canonical}`] : [canonical];
  const out = new Set<string>();
  for (const a of spellings.flatMap(selfAndAncestors)) {
    out.add(a);
    if (a === '/run' || a.startsWith('/run/')) out.add(`/var${a}`);
  }
  return [...out].sort();
}

/**
 * denyRuntimeSocket. Input domain (compile.ts): the API server refuses a hostPath with a `..`
 * segment or an empty path (validateHostPathVolumeSource → validatePathNoBacksteps), so the
 * engine's lexical normalization reduces to dropping empty and `.` segments. The 4096 limit and
 * the 120-character display count code points in CEL and UTF-16 units in the engine: they agree
 * on paths without characters outside the Basic Multilingual Plane (see the README).
 */
const denyRuntimeSocket: FamilyCompiler = (r, ctx) => {
  const rule = r as DenyRuntimeSocketRule;
  const CONTROL = 'denyRuntimeSocket';
  for (const e of ctx.policy.exemptions) {
    for (const entry of e.controls) {
      if (entry.control !== CONTROL || entry.field === undefined) continue;
      const field = entry.field;
      if (ctx.targets.some((t) => field.startsWith(`${fieldOf(t.podSpecPath)}.volumes[`) && field.endsWith('].hostPath.path'))) {
        return { reason: `exemption "${e.name}" names a volume by index, which this version does not compile` };
      }
    }
  }
  const sockets = rule.sockets.flatMap((s) => normalizeHostPath(s) ?? []);
  // y: [name, path as written, normalized path or "" when not an absolute path, exposed sockets…]
  const exposed = sockets.map((s) => `(x[2] in ${celStringList(exposingPaths(s))} ? [${celString(s)}] : [])`).join(' + ');
  const valid = 'size(x[1]) > 0 && size(x[1]) <= 4096 && x[1].startsWith("/") && !x[1].contains("\\u0000")';
  const normalized = '"/" + x[1].split("/").filter(s, s != "" && s != ".").join("/")';
  const value = '(y[2] == "" ? y[1] : y[2])';
  const exempt = ctx.exemption(CONTROL, { value, fields: () => ['hostPath.path'] });
  if (typeof exempt !== 'string') return exempt;
  const n = 'size(y) - 3';
  const some = `(${n} == 1 ? y[3] : ${n} == 2 ? y[3] + ", " + y[4] : ${n} == 3 ? y[3] + ", " + y[4] + ", " + y[5] : y[3] + ", " + y[4] + ", " + y[5] + " and " + string(${n} - 3) + " more")`;
  const what =
    `(y[2] == "" ? "it is not an absolute path, so it cannot be checked" : y[2] in ${celStringList(sockets)} ? "it is a container-runtime socket" : ` +
    `"it exposes the container-runtime socket" + (${n} > 1 ? "s " : " ") + ${some})`;
  const text = `${celString('volume "')} + y[0] + ${celString('" hostPath.path=')} + ${showString('y[1]')} + " is not allowed: " + ${what}`;
  const line = lineCel(ctx.policy, ctx.ruleName, CONTROL, 'host paths that neither are nor contain a container-runtime socket', `(${text})`);
  const volumes =
    `(has(variables.spec.volumes) ? variables.spec.volumes : []).filter(v, has(v.hostPath))` +
    `.map(v, [string(v.?name.orValue("")), string(v.hostPath.?path.orValue(""))])` +
    `.map(x, [x[0], x[1], ${valid} ? ${normalized} : ""])` +
    `.map(x, [x[0], x[1], x[2]] + (x[2] == "" ? [] : ${exposed === '' ? '[]' : exposed}))` +
    `.filter(y, y[2] == "" || size(y) > 3)`;
  if (exempt === 'true') return '[]';
  return `${volumes}${exempt === 'false' ? '' : `.filter(y, !(${exempt}))`}.map(y, ${line})`;
};

/**
 * A per-image family (runtime/engine/rules/image-findings.ts `rejectedImages`): one finding per
 * container without an image, per invalid reference (the parser's reason) and per parsed reference
 * `reject` gives a reason for. `reject` is a CEL string over the tuple `t` (image-cel.ts IMG),
 * "" when the image is allowed. Exemptions narrowing by image glob are not compiled in this version,
 * nor a field naming a container by index.
 */
function imageFamily(control: string, allowedOf: (rule: Rule) => string, rejectOf: (rule: Rule) => string): FamilyCompiler {
  return (r, ctx) => {
    const allowed = allowedOf(r);
    const reject = rejectOf(r);
    for (const e of ctx.policy.exemptions) {
      for (const entry of e.controls) {
        if (entry.control !== control || entry.field === undefined) continue;
        const field = entry.field;
        if (ctx.targets.some((t) => /^(initContainers|containers|ephemeralContainers)\[/.test(field.slice(fieldOf(t.podSpecPath).length + 1)) && field.startsWith(`${fieldOf(t.podSpecPath)}.`))) {
          return { reason: `exemption "${e.name}" names a container by index, which this version does not compile` };
        }
      }
    }
    const at = (i: number): string => `t[${i}]`;
    const value = `(${at(IMG.missing)} != "" ? ${at(IMG.missing)} : ${at(IMG.raw)})`;
    const exempt = ctx.exemption(control, { value, image: at(IMG.raw), fields: () => ['image'] });
    if (typeof exempt !== 'string') return exempt;
    const name = `${celString('container "')} + ${at(IMG.name)}`;
    const text =
      `(${at(IMG.status)} == "none" ? ${name} + ${celString('" has no image: image=')} + ${value} + " is not allowed" : ` +
      `${at(IMG.status)} == "bad" ? ${name} + ${celString('" image=')} + ${showString(at(IMG.raw))} + " is not a valid image reference (" + ${at(IMG.reason)} + ")" : ` +
      `${name} + ${celString('" image=')} + ${at(IMG.raw)} + " is not allowed: " + ${reject})`;
    const line = lineCel(ctx.policy, ctx.ruleName, control, allowed, text);
    if (exempt === 'true') return '[]';
    const findings = `${parsedImagesCel()}.filter(t, ${at(IMG.status)} != "ok" || ${reject} != "")`;
    return `${findings}${exempt === 'false' ? '' : `.filter(t, !(${exempt}))`}.map(t, ${line})`;
  };
}

/** runtime/engine/rules/disallow-latest-tag.ts (tags are ASCII once parsed: lowerAscii = toLowerCase). */
const disallowLatestTag = imageFamily(
  'disallowLatestTag',
  () => 'a specific tag other than latest, or a digest',
  () => `(t[${IMG.hasDigest}] != "" ? "" : t[${IMG.hasTag}] == "" ? "no tag means latest" : t[${IMG.tag}].lowerAscii() == "latest" ? "the " + t[${IMG.tag}] + " tag is mutable" : "")`,
);

/** runtime/engine/rules/require-digest.ts */
const requireDigest = imageFamily(
  'requireDigest',
  () => 'an image pinned by digest, e.g. registry/repo@sha256:<64 hex>',
  () => `(t[${IMG.hasDigest}] == "" ? "it is not pinned by digest" : t[${IMG.digest}].startsWith("sha256:") ? "" : "only sha256 digests are accepted")`,
);

/**
 * runtime/engine/rules/allowed-registries.ts: a parsed image matching none of the globs (image-cel.ts
 * `imageGlobCel`; an invalid glob matches nothing, as in the engine).
 */
const allowedRegistries = imageFamily(
  'allowedRegistries',
  (r) => (r as AllowedRegistriesRule).allowed.join(', '),
  (r) => {
    const globs = (r as AllowedRegistriesRule).allowed.filter((g) => checkImageGlob(g) === undefined).map((g) => imageGlobCel(g, 't'));
    const any = globs.length === 0 ? 'false' : globs.join(' || ');
    return `(${any} ? "" : "registry/repository " + t[${IMG.registry}] + "/" + t[${IMG.repository}] + " is not in the allowed list")`;
  },
);

/** The families compiled in this version; every other validating family stays on the webhook. */
export const FAMILY_COMPILERS: Partial<Record<RuleType, FamilyCompiler>> = {
  hostNamespaces,
  requireLabels,
  denyRuntimeSocket,
  disallowLatestTag,
  requireDigest,
  allowedRegistries,
  // Called through: pod-security.ts imports this module's helpers (no binding is read at load).
  podSecurity: (rule, ctx) => podSecurity(rule, ctx),
  hostPaths: (rule, ctx) => hostPaths(rule, ctx),
  requireResources: (rule, ctx) => requireResources(rule, ctx),
};

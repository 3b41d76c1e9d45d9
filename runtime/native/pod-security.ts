/**
 * The podSecurity family in CEL (runtime/engine/rules/pod-security.ts): the checks that apply at
 * the rule's (level, version) are resolved by the engine's own `checksFor` (table order, restricted
 * overrides, version clamping), and each is mapped to its compiled control (pss/registry.ts) by
 * the same rule: the newest revision with minVersion <= the minor. The rule's lines are the
 * controls' lines in that order. A control that applies but has no compiled revision, or whose
 * compiler refuses, makes the rule notExpressible with the control's name and the reason.
 *
 * Exemptions narrowing by image: the names of the containers whose image matches each glob list of
 * the control's exemption entries are computed once per control (image-cel.ts, the engine's image
 * parser and glob matching) and bound to `gm`; a finding tests `c.name in gm[i]` (container names
 * are unique in a pod; an image that does not parse matches nothing, as in the engine).
 */
import type { Policy, PodSecurityRule, PssControl } from '../bundle';
import { checkImageGlob } from '../engine/image-ref';
import { checksFor, resolveMinor } from '../engine/pss/registry';
import type { FamilyCompiler, FamilyContext } from './families';
import { IMG, imageGlobCel, parsedImagesCel } from './image-cel';
import { nativeRevisionAt, type ControlContext, type NativeControl } from './pss/control';
import { NATIVE_PSS_CONTROLS } from './pss/registry';

/** The image glob lists of the policy's exemption entries for `control`, in policy order. */
function imageGlobLists(ctx: FamilyContext, control: PssControl): (readonly string[])[] {
  const out: (readonly string[])[] = [];
  for (const e of ctx.policy.exemptions) {
    for (const entry of e.controls) if (entry.control === control && entry.images !== undefined && entry.images.length > 0) out.push(entry.images);
  }
  return out;
}

/** CEL list<string>: the names of the containers whose image parses and matches one of `globs`. */
function matchingContainers(globs: readonly string[]): string {
  const valid = globs.filter((g) => checkImageGlob(g) === undefined).map((g) => imageGlobCel(g, 't'));
  if (valid.length === 0) return '[]';
  return `${parsedImagesCel()}.filter(t, t[${IMG.status}] == "ok" && (${valid.join(' || ')})).map(t, t[${IMG.name}])`;
}

/** One control's lines at `minor`, with its image-glob bindings. */
function controlLines(native: NativeControl, minor: number, ctx: FamilyContext): string | { reason: string } {
  const revision = nativeRevisionAt(native, minor);
  if (revision === undefined) return { reason: `Pod Security control ${native.id} has no compiled revision at v1.${minor}` };
  const lists = imageGlobLists(ctx, native.id);
  const used = new Set<number>();
  const imageGlobs = (globs: readonly string[]): string => {
    const i = lists.indexOf(globs);
    used.add(i);
    return `c.name in gm[${i}]`;
  };
  // compile.ts gives the bundle's policies (CompileOptions.podDefaults) to the family context when synth has them.
  const podDefaults = (ctx as FamilyContext & { podDefaults?: readonly Policy[] }).podDefaults;
  const cctx: ControlContext = {
    policy: ctx.policy,
    ruleName: ctx.ruleName,
    targets: ctx.targets,
    control: native.id,
    terms: (finding) => ctx.exemptionTerms(native.id, { ...finding, imageGlobs }),
    ...(podDefaults !== undefined ? { podDefaults } : {}),
  };
  const lines = revision.compile(cctx);
  if (typeof lines !== 'string') return { reason: `Pod Security control ${native.id}: ${lines.reason}` };
  // Only the glob lists a finding tests are computed (pod-level findings never test images).
  if (used.size === 0 || lines === '[]') return lines;
  return `[[${lists.map((g, i) => (used.has(i) ? matchingContainers(g) : '[]')).join(', ')}]].map(gm, ${lines})[0]`;
}

/**
 * The podSecurity compiler over `controls`; with `only`, the lines of that one control (when it
 * applies at the rule's level and version), for tests that compare one control at a time.
 */
export function podSecurityCompiler(controls: readonly NativeControl[], only?: PssControl): FamilyCompiler {
  return (r, ctx) => {
    const rule = r as PodSecurityRule;
    let minor: number;
    try {
      minor = resolveMinor(rule.version);
    } catch (err) {
      return { reason: (err as Error).message };
    }
    if (ctx.targets.some((t) => t.podSpecPath === '')) return { reason: 'a target whose pod spec is the object itself is not compiled' };
    const parts: string[] = [];
    for (const { id } of checksFor(rule.level, rule.version)) {
      if (only !== undefined && id !== only) continue;
      const native = controls.find((c) => c.id === id);
      if (native === undefined) return { reason: `Pod Security control ${id} (${rule.level} at ${rule.version}) is not compiled to CEL in this version` };
      const lines = controlLines(native, minor, ctx);
      if (typeof lines !== 'string') return lines;
      if (lines !== '[]') parts.push(lines);
    }
    return parts.length === 0 ? '[]' : parts.join(' + ');
  };
}

export const podSecurity: FamilyCompiler = podSecurityCompiler(NATIVE_PSS_CONTROLS);

/**
 * seccompProfile_restricted (restricted, v1.19+; v1.25 exempts Windows pods) in CEL:
 * runtime/engine/pss/seccomp-restricted.ts. Overrides seccompProfile_baseline.
 *
 * Restricted fields:
 *   spec.securityContext.seccompProfile.type
 *   spec.{initContainers,containers,ephemeralContainers}[*].securityContext.seccompProfile.type
 * Allowed values: "RuntimeDefault", "Localhost"; a container may leave it undefined when the pod
 *   level sets an allowed value. A bad value at either level fails.
 * Findings: the pod's bad type, then per container a bad type (exempt field `seccompProfile.type`,
 * values [the type, `<unset>` when the profile has none]) or, with no profile here nor an allowed
 * one at pod level, `<unset>` (same exempt field, no values).
 * From v1.25 pods with spec.os.name == "windows" are not checked.
 *
 * Controllers: a rule on Pods and controllers in a policy matching CREATE judges a controller's
 * template as its Pods will be after the bundle's Pod defaults (runtime/engine/pod-defaults-relief.ts;
 * the bundle's policies come as ControlContext.podDefaults), when the rule's own policy certainly
 * selects the template's Pods (podsValidatedToo; pod-defaults-cel.ts reliefAppliesCel): an Enforce
 * defaultSeccomp Pod rule whose policy certainly selects the template's Pods (selectsTemplatePods:
 * namespace globs, object selector on the template's labels, exclusions; never with a namespace
 * selector or controller labels) gives a pod-level RuntimeDefault where nothing chose a profile
 * (pod-defaults-cel.ts seccompDefaultAddsCel, as runtime/engine/rules/default-seccomp.ts), which
 * removes every finding here: then nothing chose a profile, so the findings were exactly the
 * containers' `<unset>` ones, and a RuntimeDefault pod profile covers them. It is the only control
 * the Pod defaults change (defaultResources touches no field Pod Security reads; a RuntimeDefault
 * pod profile is allowed by every other control), and no relief note is due: this control has no
 * finding left, and no other control's finding names a field the defaults add (pod-level findings
 * need a securityContext the default did not have to create; container findings name fields under
 * securityContext, not the resources the resource defaults add). Without the bundle's policies the
 * rule is refused with the reason.
 */
import { podDefaultsOf, reliefAppliesCel, seccompDefaultAddsCel, selectsTemplatePods } from '../pod-defaults-cel';
import type { ControlCompile, ControlContext, NativeControl } from './control';
import { concat, containerLines, containerMessage, findingLines, unlessWindows } from './findings';
import { profileTypeLines } from './profile';

const ALLOWED = 'RuntimeDefault or Localhost';
const VALID = '["RuntimeDefault", "Localhost"]';
const RELATIVE = 'securityContext.seccompProfile.type';

/**
 * The CEL bool "the engine judges this controller's template after a defaultSeccomp default that
 * adds a RuntimeDefault pod profile" (see above), "false" when that cannot happen, or the reason
 * the rule is not compiled (no bundle given).
 */
export function seccompDefaulted(ctx: ControlContext): string | { reason: string } {
  const pods = ctx.targets.some((t) => t.kind === 'Pod');
  if (!pods || !ctx.targets.some((t) => t.kind !== 'Pod') || !ctx.policy.match.operations.includes('CREATE')) return 'false';
  if (ctx.podDefaults === undefined) {
    return { reason: "a controller's template is judged as its Pods will be after the bundle's Pod defaults (runtime/engine/pod-defaults-relief.ts), and the compiler was not given the bundle's policies" };
  }
  const adds = seccompDefaultAddsCel(podDefaultsOf(ctx.podDefaults));
  if (adds === 'false' || selectsTemplatePods(ctx.policy, true) === 'false') return 'false';
  return `${reliefAppliesCel(ctx.policy)} && ${adds}`;
}

const v1_19: ControlCompile = (ctx) => {
  const defaulted = seccompDefaulted(ctx);
  if (typeof defaulted !== 'string') return defaulted;
  const profile = profileTypeLines(ctx, 'seccompProfile', ALLOWED);
  if ('reason' in profile) return profile;
  const unset = findingLines(ctx, {
    level: 'container',
    relative: RELATIVE,
    exemptField: 'seccompProfile.type',
    values: { kind: 'none' },
    allowed: `${ALLOWED} (here or at pod level)`,
    message: containerMessage(RELATIVE, '"<unset>"'),
  });
  if (typeof unset !== 'string') return unset;
  const podSet = `variables.spec.?securityContext.?seccompProfile.?type.orValue("") in ${VALID}`;
  const lines = concat([profile.pod, containerLines([`(c.?securityContext.?seccompProfile.hasValue() ? ${profile.container} : ${podSet} ? [] : ${unset})`])]);
  return defaulted === 'false' ? lines : `((${defaulted}) ? [] : ${lines})`;
};

export const seccompProfileRestricted: NativeControl = {
  id: 'seccompProfile_restricted',
  revisions: [
    { minVersion: 19, compile: v1_19 },
    { minVersion: 25, compile: unlessWindows(v1_19) },
  ],
};

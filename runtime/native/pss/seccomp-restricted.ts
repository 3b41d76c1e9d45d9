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
 * the bundle's policies come as ControlContext.podDefaults): an Enforce defaultSeccomp Pod rule
 * whose policy certainly selects the template's Pods (pod-defaults-cel.ts selectsTemplatePods)
 * gives a pod-level RuntimeDefault where nothing chose a profile, which removes every finding here.
 * It is the only control the Pod defaults change (defaultResources touches no field Pod Security
 * reads; a RuntimeDefault pod profile is allowed by every other control, and no other finding's
 * field is one the defaults add, so no relief note). Such a rule compiles when no defaultSeccomp
 * default of the bundle can select the template's Pods (or the rule's own policy cannot back the
 * controller rule); otherwise, or without the bundle's policies, it is refused with the reason.
 */
import { podDefaultsOf, selectsTemplatePods } from '../pod-defaults-cel';
import type { ControlCompile, ControlContext, NativeControl } from './control';
import { concat, containerLines, containerMessage, findingLines, unlessWindows } from './findings';
import { profileTypeLines } from './profile';

const ALLOWED = 'RuntimeDefault or Localhost';
const VALID = '["RuntimeDefault", "Localhost"]';
const RELATIVE = 'securityContext.seccompProfile.type';

/** Why the rule is not compiled, when a defaultSeccomp Pod default may relieve its controllers (see above). */
export function seccompDefaultsRelief(ctx: ControlContext): { reason: string } | undefined {
  const pods = ctx.targets.some((t) => t.kind === 'Pod');
  if (!pods || !ctx.targets.some((t) => t.kind !== 'Pod') || !ctx.policy.match.operations.includes('CREATE')) return undefined;
  const judged = "a controller's template is judged as its Pods will be after the bundle's Pod defaults (runtime/engine/pod-defaults-relief.ts)";
  if (ctx.podDefaults === undefined) return { reason: `${judged}, and the compiler was not given the bundle's policies` };
  if (selectsTemplatePods(ctx.policy, true) === 'false') return undefined;
  const relieving = podDefaultsOf(ctx.podDefaults).seccomp.find((d) => selectsTemplatePods(d.policy, false) !== 'false');
  if (relieving === undefined) return undefined;
  return { reason: `${judged}: the defaultSeccomp rule ${relieving.rule.name} of policy ${relieving.policy.name} may give them a RuntimeDefault profile, which this version does not compile` };
}

const v1_19: ControlCompile = (ctx) => {
  const relief = seccompDefaultsRelief(ctx);
  if (relief !== undefined) return relief;
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
  return concat([profile.pod, containerLines([`(c.?securityContext.?seccompProfile.hasValue() ? ${profile.container} : ${podSet} ? [] : ${unset})`])]);
};

export const seccompProfileRestricted: NativeControl = {
  id: 'seccompProfile_restricted',
  revisions: [
    { minVersion: 19, compile: v1_19 },
    { minVersion: 25, compile: unlessWindows(v1_19) },
  ],
};

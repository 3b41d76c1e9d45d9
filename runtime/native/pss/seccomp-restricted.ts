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
 * Not compiled: a rule on Pods and controllers in a policy matching CREATE. The engine judges such
 * a controller's template as its Pods will be after the bundle's Pod defaults
 * (runtime/engine/pod-defaults-relief.ts): a defaultSeccomp rule of another policy in Enforce gives
 * a pod-level RuntimeDefault profile where nothing chose one, which removes every `<unset>`
 * finding here. Whether one applies depends on other policies, which a policy's CEL cannot see.
 * (It is the only control the Pod defaults change: defaultResources touches no field Pod Security
 * reads, and a RuntimeDefault pod profile is allowed by every other control.)
 */
import type { ControlCompile, ControlContext, NativeControl } from './control';
import { concat, containerLines, containerMessage, findingLines, unlessWindows } from './findings';
import { profileTypeLines } from './profile';

const ALLOWED = 'RuntimeDefault or Localhost';
const VALID = '["RuntimeDefault", "Localhost"]';
const RELATIVE = 'securityContext.seccompProfile.type';

/** Why the rule cannot be compiled exactly, when the Pod-defaults relief may apply to it (see above). */
export function podDefaultsRelief(ctx: ControlContext): { reason: string } | undefined {
  const pods = ctx.targets.some((t) => t.kind === 'Pod');
  if (!pods || !ctx.targets.some((t) => t.kind !== 'Pod') || !ctx.policy.match.operations.includes('CREATE')) return undefined;
  return {
    reason:
      "a controller's template is judged as its Pods will be after the bundle's Pod defaults (a defaultSeccomp rule of another policy sets a RuntimeDefault profile where none is chosen: runtime/engine/pod-defaults-relief.ts), which depend on other policies: not compiled in this version",
  };
}

const v1_19: ControlCompile = (ctx) => {
  const relief = podDefaultsRelief(ctx);
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

/**
 * The profile-type findings shared by seccompProfile_baseline (v1.19+), seccompProfile_restricted
 * and appArmorProfile (runtime/engine/pss/check.ts `profileTypeFinding`): a profile object at the
 * pod or container level whose `type` is neither RuntimeDefault nor Localhost, shown as it is (a
 * string in the API schema) or `<unset>` when the object has none; exempt field `<profile>.type`,
 * values [that text].
 */
import type { ControlContext } from './control';
import { containerMessage, findingLines, podMessage, slot } from './findings';

const VALID = '["RuntimeDefault", "Localhost"]';

export interface ProfileTypeLines {
  /** CEL list<string>: the pod-level line. */
  pod: string;
  /** CEL list<string> over the container `c` (and its label `cl`): its line. */
  container: string;
}

export function profileTypeLines(ctx: ControlContext, profile: 'seccompProfile' | 'appArmorProfile', allowed: string): ProfileTypeLines | { reason: string } {
  const relative = `securityContext.${profile}.type`;
  const exemptField = `${profile}.type`;
  const value = (owner: string): string => `${owner}.securityContext.${profile}.?type.orValue("<unset>")`;
  const bad = (owner: string): string => `${owner}.?securityContext.?${profile}.hasValue() && !(${owner}.securityContext.${profile}.?type.orValue("") in ${VALID})`;
  const pod = findingLines(ctx, { level: 'pod', relative, exemptField, values: { kind: 'one', cel: value('variables.spec') }, allowed, message: podMessage(relative, value('variables.spec')) });
  if (typeof pod !== 'string') return pod;
  const container = findingLines(ctx, { level: 'container', relative, exemptField, values: { kind: 'one', cel: value('c') }, allowed, message: containerMessage(relative, value('c')) });
  if (typeof container !== 'string') return container;
  return { pod: slot(bad('variables.spec'), pod), container: slot(bad('c'), container) };
}

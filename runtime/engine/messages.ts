/**
 * The one-line messages a denied developer reads. Pure.
 *
 *   [policy/rule] control: container "app" securityContext.privileged=true is not allowed
 *   (allowed: false or unset). To request an exemption: <policy's exemptionHelp or a default>.
 */
import type { Exemption, Policy } from '../bundle';
import type { Finding } from './types';

export interface MessageParts {
  policy: Policy;
  rule: string;
  finding: Finding;
  /** Values an exemption relieved (the message then lists only the rest). */
  relievedValues: string[];
  expired?: Exemption;
}

function findingText(finding: Finding, relievedValues: string[]): string {
  if (relievedValues.length === 0 || finding.values === undefined) return finding.message;
  const who = finding.container ? `container "${finding.container.name}" ` : '';
  const field = finding.exemptField ?? finding.field;
  return `${who}${field}=${finding.values.join(',')} is not allowed (exempted: ${relievedValues.join(',')})`;
}

export function exemptionHelp(policy: Policy, control: string): string {
  if (policy.exemptionHelp !== undefined && policy.exemptionHelp !== '') return policy.exemptionHelp;
  return `ask the platform team for an exemption of control "${control}" in policy "${policy.name}" (owner, reason, expiry)`;
}

export function violationMessage(parts: MessageParts): string {
  const { policy, rule, finding } = parts;
  let text = `[${policy.name}/${rule}] ${finding.control}: ${findingText(finding, parts.relievedValues)}`;
  if (finding.allowed !== undefined && !text.includes('(allowed:')) text += ` (allowed: ${finding.allowed})`;
  if (parts.expired !== undefined) {
    text += `. Exemption "${parts.expired.name}" (owner ${parts.expired.owner}) expired at ${parts.expired.expiresAt ?? '?'}`;
  }
  return `${text}. To request an exemption: ${exemptionHelp(policy, finding.control)}`;
}

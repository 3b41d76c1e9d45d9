/**
 * A violation line whose `allowed` depends on the finding (families.ts `lineCel` takes a literal):
 * `[policy/rule] control: <text> (allowed: <allowed>). To request an exemption: <help>`, the
 * ` (allowed: …)` part left out when the line already says `(allowed:` (messages.ts
 * `violationMessage`, then the server's `violationLine`, which trims).
 */
import type { Policy } from '../bundle';
import { exemptionHelp } from '../engine/messages';
import { celString } from './cel-text';

/** `text` and `allowed` are CEL string expressions. */
export function lineCelDynamic(policy: Policy, rule: string, control: string, allowed: string, text: string): string {
  const prefix = `[${policy.name}/${rule}] ${control}: `;
  const suffix = `. To request an exemption: ${exemptionHelp(policy, control)}`.trimEnd();
  // `(allowed:` cannot straddle the prefix (it ends with ": ") and the text.
  const part = prefix.includes('(allowed:') ? '' : ` + (${text}.contains("(allowed:") ? "" : " (allowed: " + ${allowed} + ")")`;
  return `${celString(prefix)} + ${text}${part} + ${celString(suffix)}`;
}

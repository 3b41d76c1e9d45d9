/**
 * A violation line whose `allowed` depends on the finding (families.ts `lineCel` takes a literal):
 * `[policy/rule] control: <text> (allowed: <allowed>). To request an exemption: <help>`, the
 * ` (allowed: …)` part left out when the line already says `(allowed:` (messages.ts
 * `violationMessage`, then the server's `violationLine`, which trims).
 */
import type { Policy } from '../bundle';
import { exemptionHelp } from '../engine/messages';
import { celString } from './cel-text';

/**
 * `text` and `allowed` are CEL string expressions; `allowed` undefined for a finding without one.
 * `textMayMention`: false when the text cannot contain `(allowed:` (its variable parts are names
 * and quantities), which saves the test at admission.
 */
export function lineCelDynamic(policy: Policy, rule: string, control: string, allowed: string | undefined, text: string, textMayMention = true): string {
  const prefix = `[${policy.name}/${rule}] ${control}: `;
  const suffix = `. To request an exemption: ${exemptionHelp(policy, control)}`.trimEnd();
  let part = '';
  // `(allowed:` cannot straddle the prefix (it ends with ": ") and the text.
  if (allowed !== undefined && !prefix.includes('(allowed:')) {
    const appended = `" (allowed: " + ${allowed} + ")"`;
    part = textMayMention ? ` + (${text}.contains("(allowed:") ? "" : ${appended})` : ` + ${appended}`;
  }
  return `${celString(prefix)} + ${text}${part} + ${celString(suffix)}`;
}

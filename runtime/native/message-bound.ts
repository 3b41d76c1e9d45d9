/**
 * The API server keeps a messageExpression's result only up to 5 KiB (apiserver celconfig
 * MaxEvaluatedMessageExpressionSizeBytes; beyond it, and on a line break, it falls back to the static
 * `message`). A rule's violation lines are therefore cut, in CEL, before that limit: a message of at
 * most 5,120 bytes (UTF-8) is kept whole; a longer one keeps its first CUT_CODE_POINTS code points
 * (at most 4 bytes each, so within the limit with the suffix) and says where the whole list is.
 * `boundNativeMessage` is the same cut in TypeScript, for the differential tests' engine side.
 */
import { celString } from './cel-text';

export const MAX_MESSAGE_BYTES = 5 * 1024;
export const CUT_CODE_POINTS = 1200;
export const CUT_SUFFIX = ' …(cut at the API server message limit; portcullis scan and the webhook logs list every finding)';

/** CEL string: the rule's lines (a CEL list<string>) joined with ` | ` (one variable, evaluated once). */
export function joinedLinesCel(lines: string): string {
  return `${lines}.join(" | ")`;
}

/** CEL string: the joined message (a CEL variable, so joined once), bounded as above. */
export function boundedMessageCel(joined: string): string {
  return `size(bytes(${joined})) <= ${MAX_MESSAGE_BYTES} ? ${joined} : ${joined}.substring(0, ${CUT_CODE_POINTS}) + ${celString(CUT_SUFFIX)}`;
}

/** The same bound over an already joined message (code points, like CEL). */
export function boundNativeMessage(message: string): string {
  if (Buffer.byteLength(message, 'utf8') <= MAX_MESSAGE_BYTES) return message;
  return [...message].slice(0, CUT_CODE_POINTS).join('') + CUT_SUFFIX;
}

/** The static fallback message (used by the API server only if the expression fails). */
export function fallbackMessage(policy: string, rule: string): string {
  return `[${policy}/${rule}] the object violates this rule (its message could not be built; portcullis scan lists the findings)`;
}

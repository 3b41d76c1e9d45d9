/**
 * Turning engine violations and errors into the text a developer and an auditor read: one line per
 * violation for denials, short warnings (kubectl prints each on its own line; the API server asks
 * for at most ~120 characters each and truncates long or many warnings), bounded audit annotations.
 */
import type { EvaluationError, Violation } from '../engine/types';

/** Upper bounds: kubectl shows warnings well within these; the API server truncates beyond them. */
export const MAX_WARNING_CHARS = 120;
export const MAX_WARNINGS = 10;
export const MAX_ANNOTATION_VALUE_CHARS = 1024;
export const MAX_DENIAL_MESSAGE_CHARS = 32 * 1024;

export function truncate(text: string, max: number): string {
  // Only newlines (and the whitespace around them) are folded: a line without one stays as it is.
  const oneLine = text.includes('\n') ? text.replace(/\s*\n\s*/g, ' ') : text;
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** `[policy/rule] message` (the engine's message, prefixed unless it already names the rule). */
export function violationLine(v: Violation): string {
  const prefix = `[${v.policy}/${v.rule}]`;
  const message = v.message.trim();
  return message.startsWith(prefix) ? message : `${prefix} ${message}`;
}

const EXEMPTION_HINT = '. To request an exemption:';

/**
 * The violation as a warning: the same line without the exemption hint, which does not fit the
 * ~120 characters kubectl shows well (denials and the logs keep it).
 */
export function warningLine(v: Violation): string {
  const line = violationLine(v);
  const hint = line.indexOf(EXEMPTION_HINT);
  return hint === -1 ? line : line.slice(0, hint);
}

export function errorLine(e: EvaluationError): string {
  return `[${e.policy}/${e.rule}] evaluation error (not a policy verdict): ${e.message.trim()}`;
}

/** Join lines into a bounded denial message that still says how many lines were cut. */
export function boundedLines(lines: readonly string[], max = MAX_DENIAL_MESSAGE_CHARS): string {
  let out = '';
  for (let i = 0; i < lines.length; i += 1) {
    const next = out === '' ? lines[i] : `${out}\n${lines[i]}`;
    if (next.length > max) return `${out}\n…and ${lines.length - i} more (see the Portcullis logs)`;
    out = next;
  }
  return out;
}

/** At most MAX_WARNINGS warnings of at most MAX_WARNING_CHARS each; the last says what was cut. */
export function boundedWarnings(lines: readonly string[]): string[] {
  const shortened = lines.map((l) => truncate(l, MAX_WARNING_CHARS));
  if (shortened.length <= MAX_WARNINGS) return shortened;
  const kept = shortened.slice(0, MAX_WARNINGS - 1);
  kept.push(`…and ${shortened.length - kept.length} more Portcullis findings (see audit annotations and logs)`);
  return kept;
}

/** One audit annotation per policy (the API server prefixes the key with the webhook name). */
export function auditAnnotations(violations: readonly Violation[]): Record<string, string> {
  const byPolicy = new Map<string, string[]>();
  for (const v of violations) {
    const list = byPolicy.get(v.policy) ?? [];
    list.push(`${v.rule}/${v.control}${v.container === undefined ? '' : `(${v.container})`}: ${v.field}`);
    byPolicy.set(v.policy, list);
  }
  const out: Record<string, string> = {};
  for (const [policy, items] of byPolicy) {
    out[policy] = truncate(`audit: ${items.join('; ')}`, MAX_ANNOTATION_VALUE_CHARS);
  }
  return out;
}

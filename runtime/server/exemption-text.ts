/**
 * What an admission answer says about the exemptions a decision used (`Decision.exemptions`): one
 * audit annotation per policy naming them (the API server's audit log is where auditors look), the
 * `policy/exemption` list of the admission log line, and a warning to the user only when an
 * exemption used expires within 30 days. Called only when an exemption applied. Pure.
 */
import type { AppliedExemption } from '../engine/types';
import { DAY_MS, distinctExemptions, daysLeft, exemptionLabel, expiresWithin } from '../engine/exemption-use';
import { MAX_ANNOTATION_VALUE_CHARS, truncate } from './violation-text';

/** An exemption used expiring within this window is worth a warning to the user. */
export const EXPIRY_WARNING_MS = 30 * DAY_MS;

const KEY_SUFFIX = '.exemptions';
/** The name part of an audit annotation key (a qualified name: the API server prefixes `<webhook>/`). */
const MAX_KEY_NAME_CHARS = 63;

/**
 * `<policy>.exemptions`: the API server stores it as `<webhook name>/<policy>.exemptions`, a valid
 * qualified name (policy names are DNS labels without dots, so it never collides with the
 * `<policy>` key of Audit findings). A policy name too long for the 63-character name part is cut;
 * the value then starts with the full policy name.
 */
export function exemptionAnnotationKey(policy: string): string {
  return policy.length + KEY_SUFFIX.length <= MAX_KEY_NAME_CHARS ? `${policy}${KEY_SUFFIX}` : `${policy.slice(0, MAX_KEY_NAME_CHARS - KEY_SUFFIX.length)}${KEY_SUFFIX}`;
}

/**
 * One annotation per policy: `network-tools (owner team-platform-network, expires
 * 2027-03-31T00:00:00Z): restricted/capabilities_restricted`, several exemptions joined by `; `,
 * `(partly)` after a rule/control it relieved only some values of; at most 1 KiB.
 */
export function exemptionAnnotations(applied: readonly AppliedExemption[]): Record<string, string> {
  const byKey = new Map<string, string[]>();
  for (const { policy, exemption } of distinctExemptions(applied)) {
    const uses = applied.filter((a) => a.exemption === exemption && a.policy === policy);
    const what = uses.flatMap((a) => a.controls.map((c) => `${a.rule}/${c}${a.relieved === 0 ? ' (partly)' : ''}`));
    const key = exemptionAnnotationKey(policy);
    const prefix = key === `${policy}${KEY_SUFFIX}` ? '' : `${policy}: `;
    const list = byKey.get(key) ?? [];
    list.push(`${prefix}${exemptionLabel(exemption)}: ${[...new Set(what)].join(', ')}`);
    byKey.set(key, list);
  }
  const out: Record<string, string> = {};
  for (const [key, items] of byKey) out[key] = truncate(items.join('; '), MAX_ANNOTATION_VALUE_CHARS);
  return out;
}

function inDays(days: number): string {
  return days <= 0 ? 'within a day' : days === 1 ? 'in 1 day' : `in ${days} days`;
}

/**
 * `exemption network-tools of policy pod-security expires on 2027-03-31T00:00:00Z (in 10 days);
 * renew it through review` for each exemption used that expires within 30 days of `now`.
 */
export function expiringExemptionWarnings(applied: readonly AppliedExemption[], now: Date): string[] {
  const out: string[] = [];
  for (const { policy, exemption } of distinctExemptions(applied)) {
    if (!expiresWithin(exemption, now, EXPIRY_WARNING_MS)) continue;
    out.push(`exemption ${exemption.name} of policy ${policy} expires on ${exemption.expiresAt ?? '?'} (${inDays(daysLeft(exemption, now) ?? 0)}); renew it through review`);
  }
  return out;
}

/** `policy/exemption` of each exemption used, once, for the admission log line. */
export function exemptionKeys(applied: readonly AppliedExemption[]): string[] {
  return distinctExemptions(applied).map(({ policy, exemption }) => `${policy}/${exemption.name}`);
}

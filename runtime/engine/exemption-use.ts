/**
 * Which exemptions a decision used: recorded by `evaluate` when an exemption relieves a finding
 * (`Decision.exemptions`, absent when none did, so a review without exemptions pays nothing), and
 * the small shared vocabulary every output uses to name them (admission audit annotations and
 * warnings, `portcullis test`, `scan`, `exemptions`). Pure.
 */
import type { Exemption, Policy, RuleType } from '../bundle';
import type { AppliedExemption, Decision } from './types';

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Note that the exemptions `names` of `policy` relieved a finding with `control` of `rule` —
 * entirely (`partial` false) or only some of its values (the finding is still reported).
 */
export function recordExemptions(
  decision: Decision,
  policy: Policy,
  rule: string,
  ruleType: RuleType,
  control: string,
  names: readonly string[],
  partial: boolean,
): void {
  for (const name of names) {
    const exemption = policy.exemptions.find((e) => e.name === name);
    if (exemption === undefined) continue;
    const list = (decision.exemptions ??= []);
    let entry = list.find((a) => a.exemption === exemption && a.rule === rule && a.policy === policy.name);
    if (entry === undefined) {
      entry = { policy: policy.name, rule, ruleType, exemption, controls: [], relieved: 0, partial: 0 };
      list.push(entry);
    }
    if (!entry.controls.includes(control)) entry.controls.push(control);
    if (partial) entry.partial += 1;
    else entry.relieved += 1;
  }
}

/** `network-tools (owner team-platform-network, expires 2027-03-31T00:00:00Z)`; `never expires` without expiry. */
export function exemptionLabel(e: Exemption): string {
  return `${e.name} (owner ${e.owner}, ${e.expiresAt === undefined ? 'never expires' : `expires ${e.expiresAt}`})`;
}

/** Whole days until the exemption expires (negative once expired); undefined when it never does. */
export function daysLeft(e: Exemption, now: Date): number | undefined {
  if (e.expiresAt === undefined) return undefined;
  const t = Date.parse(e.expiresAt);
  return Number.isNaN(t) ? undefined : Math.floor((t - now.getTime()) / DAY_MS);
}

/** The exemption expires within `withinMs` of `now`, or has expired already. Never for no expiry. */
export function expiresWithin(e: Exemption, now: Date, withinMs: number): boolean {
  if (e.expiresAt === undefined) return false;
  const t = Date.parse(e.expiresAt);
  return Number.isNaN(t) || t - now.getTime() <= withinMs;
}

/** The same exemption used by several rules of one decision, once: `[policy, exemption]` pairs in first-use order. */
export function distinctExemptions(applied: readonly AppliedExemption[]): Array<{ policy: string; exemption: Exemption }> {
  const out: Array<{ policy: string; exemption: Exemption }> = [];
  for (const a of applied) {
    if (!out.some((o) => o.exemption === a.exemption && o.policy === a.policy)) out.push({ policy: a.policy, exemption: a.exemption });
  }
  return out;
}

/** An applied exemption flattened for JSON output (`portcullis test -o json`, `scan -o json`). */
export interface ExemptionUseRecord {
  policy: string;
  rule: string;
  exemption: string;
  owner: string;
  reason: string;
  expiresAt?: string;
  /** Controls of the findings it relieved. */
  controls: string[];
  /** Findings it relieved entirely. */
  relieved: number;
  /** Findings it relieved only partly (some values; the finding is still reported). */
  partial: number;
}

export function exemptionUseRecord(a: AppliedExemption): ExemptionUseRecord {
  const e = a.exemption;
  return {
    policy: a.policy,
    rule: a.rule,
    exemption: e.name,
    owner: e.owner,
    reason: e.reason,
    ...(e.expiresAt !== undefined ? { expiresAt: e.expiresAt } : {}),
    controls: a.controls,
    relieved: a.relieved,
    partial: a.partial,
  };
}

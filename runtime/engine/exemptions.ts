/**
 * Applying a policy's exemptions to one finding. Pure (the clock comes from the context).
 *
 * An exemption applies when it has not expired and its scope matches the request: `namespaces`
 * (names or `*` globs), `namespaceSelector` (only when the namespace's labels are known — in
 * admission the API server does not send them, so such an exemption cannot apply there and the
 * finding stands: fail closed), `objectSelector` (the admitted object's own labels). Within scope:
 * - no `controls`: the whole policy is relieved;
 * - a control entry relieves findings with that control, narrowed by
 *   - `images`: the finding's container image must match one of the globs (container-level
 *     findings only; a pod-level finding is never relieved by an image-scoped entry),
 *   - `field` (+ `values`): the finding's exempt field must be that field; with `values`, only those
 *     offending values are relieved and any others still fail.
 * Several applicable entries combine (their relieved values add up). An exemption that would have
 * applied but is past `expiresAt` relieves nothing and is reported so the message can say so.
 * `by` names the live exemptions that relieved the finding (entirely, or some of its values).
 */
import type { Exemption, ExemptionControl, Policy } from '../bundle';
import { labelsOf, matchesLabelSelector } from './label-selector';
import { matchesNameGlob } from './match';
import { imageMatchesAny } from './image-ref';
import { isRecord } from './pod-view';
import type { AdmissionInput, Finding } from './types';

export type ExemptionOutcome =
  | { kind: 'exempt'; by: string[] }
  | { kind: 'violation'; finding: Finding; relievedValues: string[]; expired?: Exemption; by?: string[] };

export function isExpired(exemption: Exemption, now: Date): boolean {
  if (exemption.expiresAt === undefined) return false;
  const t = Date.parse(exemption.expiresAt);
  return Number.isNaN(t) || t <= now.getTime();
}

export function exemptionInScope(exemption: Exemption, input: AdmissionInput): boolean {
  if (exemption.namespaces !== undefined && exemption.namespaces.length > 0) {
    const ns = input.namespace;
    if (ns === undefined || !exemption.namespaces.some((p) => matchesNameGlob(p, ns))) return false;
  }
  if (exemption.namespaceSelector !== undefined) {
    if (input.namespaceLabels === undefined) return false;
    if (!matchesLabelSelector(exemption.namespaceSelector, input.namespaceLabels)) return false;
  }
  if (exemption.objectSelector !== undefined) {
    const labels = labelsOf(isRecord(input.object) ? input.object.metadata : undefined);
    if (!matchesLabelSelector(exemption.objectSelector, labels)) return false;
  }
  return true;
}

/** The finding's field relative to its container (or the pod spec), e.g. `securityContext.privileged`. */
function relativeField(finding: Finding): string | undefined {
  const prefix = finding.container?.field;
  if (prefix !== undefined && finding.field.startsWith(`${prefix}.`)) return finding.field.slice(prefix.length + 1);
  return undefined;
}

type EntryEffect = { all: true } | { all: false; values: string[] } | undefined;

/** What one control entry relieves of a finding: everything, some values, or nothing. */
function entryEffect(entry: ExemptionControl, finding: Finding): EntryEffect {
  if (entry.control !== finding.control) return undefined;
  if (entry.images !== undefined && entry.images.length > 0) {
    const image = finding.container?.image;
    if (image === undefined || image === '') return undefined;
    if (!imageMatchesAny(entry.images, image)) return undefined;
  }
  if (entry.field !== undefined) {
    const candidates = [finding.exemptField, relativeField(finding), finding.field];
    if (!candidates.includes(entry.field)) return undefined;
  }
  if (entry.values !== undefined) {
    if (finding.values === undefined) return undefined;
    const relieved = finding.values.filter((v) => (entry.values as string[]).includes(v));
    if (relieved.length === 0) return undefined;
    return relieved.length === finding.values.length ? { all: true } : { all: false, values: relieved };
  }
  return { all: true };
}

function exemptionEffect(exemption: Exemption, finding: Finding): EntryEffect {
  if (exemption.controls.length === 0) return { all: true };
  const values = new Set<string>();
  for (const entry of exemption.controls) {
    const e = entryEffect(entry, finding);
    if (e === undefined) continue;
    if (e.all) return e;
    e.values.forEach((v) => values.add(v));
  }
  return values.size === 0 ? undefined : { all: false, values: [...values] };
}

/** Apply every exemption of `policy` to `finding`. */
export function applyExemptions(policy: Policy, finding: Finding, input: AdmissionInput, now: Date): ExemptionOutcome {
  const relieved = new Set<string>();
  const by: string[] = [];
  let expired: Exemption | undefined;
  for (const exemption of policy.exemptions) {
    if (!exemptionInScope(exemption, input)) continue;
    const effect = exemptionEffect(exemption, finding);
    if (effect === undefined) continue;
    if (isExpired(exemption, now)) {
      expired ??= exemption;
      continue;
    }
    if (effect.all) return { kind: 'exempt', by: [exemption.name] };
    by.push(exemption.name);
    effect.values.forEach((v) => relieved.add(v));
  }
  if (finding.values !== undefined && relieved.size > 0) {
    const remaining = finding.values.filter((v) => !relieved.has(v));
    if (remaining.length === 0) return { kind: 'exempt', by };
    return {
      kind: 'violation',
      finding: { ...finding, values: remaining },
      relievedValues: [...relieved],
      ...(expired ? { expired } : {}),
      by,
    };
  }
  return { kind: 'violation', finding, relievedValues: [], ...(expired ? { expired } : {}) };
}

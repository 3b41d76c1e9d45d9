/**
 * VerifyAttestations: signed in-toto attestations (SLSA provenance, vulnerability scans, SBOMs,
 * custom types) with typed conditions that compile to data in the bundle, never code.
 *
 * A rule of its own rather than a part of VerifyImages: it has its own mode (provenance in Audit
 * while signatures are enforced), its own finding control (`verifyAttestations`, so an exemption
 * can relieve a vendor image's missing provenance without relieving its signature), its own
 * attestors per requirement (the CI builder signs provenance, a scanner signs scans, a release key
 * may sign images) and it never pins digests (validation only).
 */
import type { Duration } from 'cdk8s';
import type { AttestationRequirement, AttestorSet, Registry, StringCondition, VulnSeverity } from '../../runtime/bundle';
import { COSIGN_VULN_V1, CYCLONEDX_BOM, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1, SPDX_DOCUMENT } from '../../runtime/bundle';
import { checkPattern } from '../../runtime/engine/safe-regex';
import type { Policy } from '../policy';
import { PolicyRule, type RuleSpec } from './policy-rule';
import { attestorSetProblems, registryRuleProblems } from './verify-images';

/** A plain string is an exact match; `{ pattern }` is an anchored, backtracking-safe regular expression. */
export type StringMatch = string | { readonly exact: string } | { readonly pattern: string };

interface Common {
  /** Who must have signed the attestation (keyAttestor / keylessAttestor sets). */
  readonly attestors: readonly AttestorSet[];
}
interface Aged extends Common {
  /** Statements older than this (by the predicate's own time) are ignored; at least one current one must remain. */
  readonly maxAge?: Duration;
}

function condition(m: StringMatch): StringCondition {
  if (typeof m === 'string') return { exact: m };
  return 'exact' in m ? { exact: m.exact } : { pattern: m.pattern };
}

function base(name: string, o: Common & { maxAge?: Duration }): { name: string; attestors: AttestorSet[]; maxAgeSeconds?: number } {
  const out: { name: string; attestors: AttestorSet[]; maxAgeSeconds?: number } = { name, attestors: o.attestors.map((s) => ({ ...s, entries: [...s.entries] })) };
  if (o.maxAge !== undefined) out.maxAgeSeconds = o.maxAge.toSeconds({ integral: false });
  return out;
}

/** SLSA provenance (v0.2 and/or v1): who built the image, from which source and ref, how. */
export function slsaProvenance(
  name: string,
  o: Aged & {
    /** Accepted SLSA versions (default both). */
    readonly versions?: readonly ('v0.2' | 'v1')[];
    readonly builderId?: StringMatch;
    readonly sourceRepository?: StringMatch;
    readonly sourceRef?: StringMatch;
    readonly buildType?: StringMatch;
  },
): AttestationRequirement {
  const versions = o.versions ?? ['v0.2', 'v1'];
  const req: AttestationRequirement = {
    ...base(name, o),
    kind: 'slsaProvenance',
    predicateTypes: versions.map((v) => (v === 'v1' ? SLSA_PROVENANCE_V1 : SLSA_PROVENANCE_V02)),
  };
  if (o.builderId !== undefined) req.builderId = condition(o.builderId);
  if (o.sourceRepository !== undefined) req.sourceRepository = condition(o.sourceRepository);
  if (o.sourceRef !== undefined) req.sourceRef = condition(o.sourceRef);
  if (o.buildType !== undefined) req.buildType = condition(o.buildType);
  return req;
}

/** A cosign vulnerability scan (`cosign attest --type vuln`): recent enough, no finding above a severity / more than N. */
export function vulnerabilityScan(
  name: string,
  o: Aged & {
    readonly maxSeverity?: 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';
    readonly maxCountBySeverity?: Partial<Record<VulnSeverity, number>>;
  },
): AttestationRequirement {
  const req: AttestationRequirement = { ...base(name, o), kind: 'vulnerabilityScan', predicateTypes: [COSIGN_VULN_V1] };
  if (o.maxSeverity !== undefined) req.maxSeverity = o.maxSeverity;
  if (o.maxCountBySeverity !== undefined) req.maxCountBySeverity = { ...o.maxCountBySeverity };
  return req;
}

/** An SBOM (SPDX and/or CycloneDX) is attached and signed. */
export function sbom(name: string, o: Aged & { readonly formats?: readonly ('spdx' | 'cyclonedx')[] }): AttestationRequirement {
  const formats = o.formats ?? ['spdx', 'cyclonedx'];
  return { ...base(name, o), kind: 'sbom', predicateTypes: formats.map((f) => (f === 'spdx' ? SPDX_DOCUMENT : CYCLONEDX_BOM)) };
}

/** A signed statement of a custom predicate type is attached (presence only). */
export function customAttestation(name: string, o: Common & { readonly predicateType: string | readonly string[] }): AttestationRequirement {
  const attestors = base(name, o).attestors;
  return { name, attestors, kind: 'custom', predicateTypes: typeof o.predicateType === 'string' ? [o.predicateType] : [...o.predicateType] };
}

export interface VerifyAttestationsProps {
  /** Image globs this rule checks. Each glob must name an exact registry host that is in `registries`. */
  readonly imageReferences: readonly string[];
  readonly skipImageReferences?: readonly string[];
  /** Every requirement must be met (slsaProvenance / vulnerabilityScan / sbom / customAttestation). */
  readonly attestations: readonly AttestationRequirement[];
  /** The only registries this rule may contact. */
  readonly registries: readonly Registry[];
  /** Read attestations from this repository instead of the image's (`host[:port]/path`; host in `registries`). */
  readonly repository?: string;
  /** @default min(5000, (timeoutSeconds - 1) * 1000) */
  readonly requestTimeoutMs?: number;
  /** @default 300 (a success is never cached past the maxAge of the statement it rests on) */
  readonly cacheTtlSeconds?: number;
  /** @default 0 */
  readonly negativeCacheTtlSeconds?: number;
}

const ALLOWED_FIELDS: Record<AttestationRequirement['kind'], readonly string[]> = {
  slsaProvenance: ['name', 'kind', 'attestors', 'predicateTypes', 'maxAgeSeconds', 'builderId', 'sourceRepository', 'sourceRef', 'buildType'],
  vulnerabilityScan: ['name', 'kind', 'attestors', 'predicateTypes', 'maxAgeSeconds', 'maxSeverity', 'maxCountBySeverity'],
  sbom: ['name', 'kind', 'attestors', 'predicateTypes', 'maxAgeSeconds'],
  custom: ['name', 'kind', 'attestors', 'predicateTypes'],
};
const KIND_TYPES: Record<Exclude<AttestationRequirement['kind'], 'custom'>, readonly string[]> = {
  slsaProvenance: [SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1],
  vulnerabilityScan: [COSIGN_VULN_V1],
  sbom: [SPDX_DOCUMENT, CYCLONEDX_BOM],
};
const HELPER: Record<AttestationRequirement['kind'], string> = {
  slsaProvenance: 'slsaProvenance()',
  vulnerabilityScan: 'vulnerabilityScan()',
  sbom: 'sbom()',
  custom: 'customAttestation()',
};
const SEVERITIES: readonly string[] = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const RANKED: readonly string[] = ['NONE', 'LOW', 'MEDIUM', 'HIGH'];
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Validating only: images must carry signed attestations that meet every requirement. */
export class VerifyAttestations extends PolicyRule {
  readonly ruleType = 'verifyAttestations' as const;
  private readonly props: VerifyAttestationsProps;

  constructor(scope: Policy, id: string, props: VerifyAttestationsProps) {
    super(scope, id);
    this.props = props;
  }

  private get requestTimeoutMs(): number {
    return this.props.requestTimeoutMs ?? Math.max(500, Math.min(5000, (this.policy.timeoutSeconds - 1) * 1000));
  }

  spec(): RuleSpec {
    const p = this.props;
    const s: RuleSpec = {
      type: 'verifyAttestations',
      imageReferences: [...p.imageReferences],
      attestations: p.attestations.map((a) => ({ ...a, attestors: a.attestors.map((set) => ({ ...set, entries: [...set.entries] })) })),
      requestTimeoutMs: this.requestTimeoutMs,
      cacheTtlSeconds: p.cacheTtlSeconds ?? 300,
      negativeCacheTtlSeconds: p.negativeCacheTtlSeconds ?? 0,
      registries: p.registries.map((r) => ({ ...r })),
    };
    if (s.type === 'verifyAttestations') {
      if (p.skipImageReferences !== undefined && p.skipImageReferences.length > 0) s.skipImageReferences = [...p.skipImageReferences];
      if (p.repository !== undefined) s.repository = p.repository;
    }
    return s;
  }

  protected override problems(): string[] {
    const p = this.props;
    const out = registryRuleProblems(this.policy, p, this.requestTimeoutMs, 'attestations');
    if (p.attestations.length === 0) out.push('attestations is empty, so nothing is required. Fix: add slsaProvenance(), vulnerabilityScan(), sbom() or customAttestation().');
    for (const [k, v] of [['cacheTtlSeconds', p.cacheTtlSeconds], ['negativeCacheTtlSeconds', p.negativeCacheTtlSeconds]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) out.push(`${k} ${v} must be a whole number of seconds ≥ 0. Fix: use e.g. 300.`);
    }
    const names = new Set<string>();
    p.attestations.forEach((a, i) => {
      const where = `attestations[${i}] "${a.name}"`;
      if (!NAME.test(a.name) || a.name.length > 63) out.push(`${where}: the name is not a lowercase DNS label. Fix: name it e.g. "provenance".`);
      if (names.has(a.name)) out.push(`${where}: the name is used twice. Fix: give each attestation requirement a distinct name.`);
      names.add(a.name);
      out.push(...requirementProblems(where, a));
      if (a.attestors.length === 0) out.push(`${where}: attestors is empty. Fix: add at least one attestor set (keyAttestor / keylessAttestor).`);
      out.push(...attestorSetProblems(this, a.attestors, `${where} attestors`));
    });
    return out;
  }
}

/** Every problem of one requirement's typed conditions, each with a fix. */
export function requirementProblems(where: string, a: AttestationRequirement): string[] {
  const out: string[] = [];
  const allowed = ALLOWED_FIELDS[a.kind] as readonly string[] | undefined;
  if (allowed === undefined) {
    return [`${where}: unknown attestation kind "${String(a.kind)}". Fix: build it with slsaProvenance(), vulnerabilityScan(), sbom() or customAttestation().`];
  }
  for (const key of Object.keys(a)) {
    if (!allowed.includes(key)) {
      out.push(`${where}: "${key}" is not a condition of ${a.kind} attestations (known: ${allowed.filter((k) => !['name', 'kind', 'attestors', 'predicateTypes'].includes(k)).join(', ') || 'none'}). Fix: remove it, or use the requirement that has it.`);
    }
  }
  const types: readonly string[] = a.predicateTypes;
  if (types.length === 0) out.push(`${where}: predicateTypes is empty. Fix: build it with ${HELPER[a.kind]}.`);
  if (a.kind === 'custom') {
    for (const t of types) {
      if (!/^[a-z][a-z0-9+.-]*:\S+$/i.test(t)) out.push(`${where}: predicate type "${t}" is not a URI. Fix: use the type's URI, e.g. https://example.com/attestation/v1.`);
      for (const [kind, known] of Object.entries(KIND_TYPES)) {
        if (known.includes(t)) out.push(`${where}: predicate type "${t}" has typed conditions. Fix: use ${HELPER[kind as AttestationRequirement['kind']]} instead of customAttestation().`);
      }
    }
  } else {
    for (const t of types) if (!KIND_TYPES[a.kind].includes(t)) out.push(`${where}: predicate type "${t}" is not a ${a.kind} type (${KIND_TYPES[a.kind].join(', ')}). Fix: build it with ${HELPER[a.kind]}.`);
    if (a.maxAgeSeconds !== undefined && (!Number.isInteger(a.maxAgeSeconds) || a.maxAgeSeconds < 1)) {
      out.push(`${where}: maxAge of ${a.maxAgeSeconds}s is not a positive whole number of seconds. Fix: use e.g. Duration.hours(24).`);
    }
  }
  if (a.kind === 'slsaProvenance') {
    for (const key of ['builderId', 'sourceRepository', 'sourceRef', 'buildType'] as const) {
      const c = a[key] as Record<string, unknown> | undefined;
      if (c === undefined) continue;
      const keys = Object.keys(c);
      if (keys.length !== 1 || !(keys[0] === 'exact' || keys[0] === 'pattern') || typeof c[keys[0]] !== 'string' || c[keys[0]] === '') {
        out.push(`${where}: ${key} must be a non-empty exact string or { pattern }. Fix: write e.g. ${key}: "…" or ${key}: { pattern: "…" }.`);
        continue;
      }
      if (keys[0] === 'pattern') {
        const why = checkPattern(c.pattern as string);
        if (why !== undefined) out.push(`${where}: ${key} pattern ${JSON.stringify(c.pattern)} is refused by the engine: ${why}. Fix: correct or simplify the pattern (it is anchored).`);
      }
    }
  }
  if (a.kind === 'vulnerabilityScan') {
    if (a.maxSeverity !== undefined && !RANKED.includes(a.maxSeverity)) {
      out.push(`${where}: maxSeverity "${String(a.maxSeverity)}" is not one of ${RANKED.join(', ')} (CRITICAL would allow everything). Fix: pick the highest severity you accept.`);
    }
    for (const [sev, n] of Object.entries(a.maxCountBySeverity ?? {})) {
      if (!SEVERITIES.includes(sev)) {
        out.push(`${where}: maxCountBySeverity has unknown severity "${sev}" (known: ${SEVERITIES.join(', ')}). Fix: use one of them.`);
        continue;
      }
      if (!Number.isInteger(n) || n < 0) out.push(`${where}: maxCountBySeverity.${sev} ${String(n)} is not a whole number ≥ 0. Fix: use e.g. 0.`);
      const rank = a.maxSeverity === undefined ? undefined : RANKED.indexOf(a.maxSeverity);
      const sevRank = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].indexOf(sev) + 1;
      if (rank !== undefined && sevRank > rank && n > 0) {
        out.push(
          `${where}: maxCountBySeverity.${sev} ${String(n)} contradicts maxSeverity ${a.maxSeverity}, which allows no ${sev} finding. Fix: drop the count, or raise maxSeverity to ${sev}.`,
        );
      }
    }
  }
  return out;
}

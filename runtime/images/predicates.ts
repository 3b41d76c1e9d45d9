/**
 * In-toto statements and the typed attestation conditions of verifyAttestations rules. Pure: no
 * I/O, no crypto (the statement handed in here was already verified under an attestor).
 *
 * - The statement must name the admitted digest (`subject[].digest.sha256`).
 * - Time (for `maxAgeSeconds`) is the predicate's own: SLSA v0.2 `metadata.buildFinishedOn`
 *   (else `buildStartedOn`), v1 `runDetails.metadata.finishedOn` (else `startedOn`), cosign vuln
 *   `metadata.scanFinishedOn`, SPDX `creationInfo.created`, CycloneDX `metadata.timestamp`.
 * - SLSA fields: builder id (v0.2 `builder.id`, v1 `runDetails.builder.id`), build type (v0.2
 *   `buildType`, v1 `buildDefinition.buildType`), source repository and ref (v0.2
 *   `invocation.configSource.uri`, else the first material; v1
 *   `buildDefinition.externalParameters.workflow.{repository,ref}`, else the first resolved
 *   dependency), a `git+https://host/repo@refs/heads/main` URI read as repository
 *   `https://host/repo` and ref `refs/heads/main`.
 * - Vulnerability findings come from `scanner.result` in Trivy (`Results[].Vulnerabilities[]`) or
 *   Grype (`matches[].vulnerability`) JSON; an unknown format fails a severity condition.
 */
import type { AttestationRequirement, StringCondition, VulnSeverity } from '../bundle';
import { COSIGN_VULN_V1, CYCLONEDX_BOM, SLSA_PROVENANCE_V02, SLSA_PROVENANCE_V1, SPDX_DOCUMENT } from '../bundle';
import { compileAnchoredPattern } from '../engine/safe-regex';
import { digestHex } from './digest';
import type { Statement } from './payload';

export { parseStatement, type Statement } from './payload';

/** Longest value a pattern condition is run against (the attestation's content is untrusted). */
export const MAX_PATTERN_VALUE_LENGTH = 1024;
/** Severity order, lowest first (UNKNOWN is limited by count only). */
export const SEVERITY_ORDER: readonly Exclude<VulnSeverity, 'UNKNOWN'>[] = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const k of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** undefined when the statement names `digest` as a subject, else which digests it names. */
export function subjectProblem(st: Statement, digest: string): string | undefined {
  const hex = digestHex(digest);
  if (st.subjects.some((s) => s.digest === `sha256:${hex}`)) return undefined;
  if (st.subjects.length === 0) return `${st.predicateType} statement names no sha256 subject, not ${digest}`;
  const named = st.subjects.slice(0, 3).map((s) => (s.name === '' ? s.digest : `${s.digest} (${s.name})`));
  return `${st.predicateType} statement is for ${named.join(', ')}, not ${digest}`;
}

/** What a requirement is called in messages. */
export function requirementLabel(req: AttestationRequirement): string {
  switch (req.kind) {
    case 'slsaProvenance':
      return 'provenance';
    case 'vulnerabilityScan':
      return 'vulnerability scan';
    case 'sbom':
      return 'SBOM';
    case 'custom':
      return `${req.predicateTypes.join(' or ')} attestation`;
  }
}

/** The predicate's time field, by type, with its name for messages. */
export function statementTime(st: Statement): { field: string; value: string | undefined } {
  const p = st.predicate;
  switch (st.predicateType) {
    case SLSA_PROVENANCE_V02: {
      const finished = str(at(p, 'metadata', 'buildFinishedOn'));
      return finished !== undefined ? { field: 'buildFinishedOn', value: finished } : { field: 'buildStartedOn', value: str(at(p, 'metadata', 'buildStartedOn')) };
    }
    case SLSA_PROVENANCE_V1: {
      const finished = str(at(p, 'runDetails', 'metadata', 'finishedOn'));
      return finished !== undefined ? { field: 'finishedOn', value: finished } : { field: 'startedOn', value: str(at(p, 'runDetails', 'metadata', 'startedOn')) };
    }
    case COSIGN_VULN_V1:
      return { field: 'scanFinishedOn', value: str(at(p, 'metadata', 'scanFinishedOn')) };
    case SPDX_DOCUMENT:
      return { field: 'creationInfo.created', value: str(at(p, 'creationInfo', 'created')) };
    case CYCLONEDX_BOM:
      return { field: 'metadata.timestamp', value: str(at(p, 'metadata', 'timestamp')) };
    default:
      return { field: 'time', value: undefined };
  }
}

/** `90s`, `45m`, `36h`, `3d 4h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 3 * 86400) return `${Math.round(s / 3600)}h`;
  const d = Math.floor(s / 86400);
  const h = Math.round((s - d * 86400) / 3600);
  return h === 0 ? `${d}d` : `${d}d ${h}h`;
}

export interface Freshness {
  /** Epoch ms until which the statement counts (undefined: no maxAge). */
  until?: number;
  /** Why it does not count now. */
  problem?: string;
}

/** Whether `st` is within the requirement's maxAge at `now`. */
export function freshness(req: AttestationRequirement, st: Statement, now: number): Freshness {
  if (req.kind === 'custom' || req.maxAgeSeconds === undefined) return {};
  const label = requirementLabel(req);
  const t = statementTime(st);
  if (t.value === undefined) return { problem: `${label} has no ${t.field}, so its age (maxAge ${formatDuration(req.maxAgeSeconds)}) cannot be checked` };
  const ms = Date.parse(t.value);
  if (Number.isNaN(ms)) return { problem: `${label} ${t.field} ${JSON.stringify(t.value)} is not a timestamp` };
  const until = ms + req.maxAgeSeconds * 1000;
  if (until <= now) {
    return { problem: `${label} ${t.field} ${t.value} is ${formatDuration((now - ms) / 1000)} old, older than maxAge ${formatDuration(req.maxAgeSeconds)}` };
  }
  return { until };
}

// ---- string conditions -------------------------------------------------------------------------

const patterns = new Map<string, RegExp>();

function pattern(source: string): RegExp {
  let re = patterns.get(source);
  if (re === undefined) {
    re = compileAnchoredPattern(source);
    if (patterns.size > 1024) patterns.clear();
    patterns.set(source, re);
  }
  return re;
}

/** undefined when `actual` satisfies `cond`, else `<what> <actual> is not <exact>` / `does not match <pattern>`. */
export function stringConditionProblem(what: string, cond: StringCondition | undefined, actual: string | undefined): string | undefined {
  if (cond === undefined) return undefined;
  if (actual === undefined) return `${what} is missing (expected ${'exact' in cond ? cond.exact : `a match of ^(?:${cond.pattern})$`})`;
  if ('exact' in cond) return actual === cond.exact ? undefined : `${what} ${actual} is not ${cond.exact}`;
  if (actual.length <= MAX_PATTERN_VALUE_LENGTH && pattern(cond.pattern).test(actual)) return undefined;
  return `${what} ${actual.length > 200 ? `${actual.slice(0, 200)}…` : actual} does not match ^(?:${cond.pattern})$`;
}

// ---- SLSA provenance ---------------------------------------------------------------------------

/** `git+https://github.com/acme/app@refs/heads/main` → repository and ref. */
export function splitSourceUri(uri: string): { repository: string; ref?: string } {
  const plain = uri.startsWith('git+') ? uri.slice(4) : uri;
  const scheme = plain.indexOf('://');
  const at = plain.lastIndexOf('@');
  if (at > scheme + 3 && at > plain.lastIndexOf('/')) return { repository: plain.slice(0, at), ref: plain.slice(at + 1) };
  if (at > scheme + 3 && plain.slice(at + 1).startsWith('refs/')) return { repository: plain.slice(0, at), ref: plain.slice(at + 1) };
  return { repository: plain };
}

export interface ProvenanceFields {
  builderId?: string;
  buildType?: string;
  sourceRepository?: string;
  sourceRef?: string;
}

export function provenanceFields(st: Statement): ProvenanceFields {
  const p = st.predicate;
  const out: ProvenanceFields = {};
  let uri: string | undefined;
  if (st.predicateType === SLSA_PROVENANCE_V02) {
    out.builderId = str(at(p, 'builder', 'id'));
    out.buildType = str(at(p, 'buildType'));
    const materials = at(p, 'materials');
    uri = str(at(p, 'invocation', 'configSource', 'uri')) ?? (Array.isArray(materials) ? str(at(materials[0], 'uri')) : undefined);
  } else {
    out.builderId = str(at(p, 'runDetails', 'builder', 'id'));
    out.buildType = str(at(p, 'buildDefinition', 'buildType'));
    const workflow = at(p, 'buildDefinition', 'externalParameters', 'workflow');
    const repo = str(at(workflow, 'repository'));
    if (repo !== undefined) {
      out.sourceRepository = repo;
      out.sourceRef = str(at(workflow, 'ref'));
      return out;
    }
    const deps = at(p, 'buildDefinition', 'resolvedDependencies');
    uri = Array.isArray(deps) ? str(at(deps[0], 'uri')) : undefined;
  }
  if (uri !== undefined) {
    const split = splitSourceUri(uri);
    out.sourceRepository = split.repository;
    if (split.ref !== undefined) out.sourceRef = split.ref;
  }
  return out;
}

// ---- vulnerability scans -----------------------------------------------------------------------

export interface Finding {
  id: string;
  severity: VulnSeverity;
}

function normalizeSeverity(v: unknown): VulnSeverity {
  const s = typeof v === 'string' ? v.toUpperCase() : '';
  if (s === 'NEGLIGIBLE') return 'LOW';
  return s === 'LOW' || s === 'MEDIUM' || s === 'HIGH' || s === 'CRITICAL' ? s : 'UNKNOWN';
}

/** Findings of a cosign vuln predicate's `scanner.result` (Trivy or Grype JSON), or why they cannot be read. */
export function vulnerabilityFindings(st: Statement): Finding[] | string {
  const result = at(st.predicate, 'scanner', 'result');
  if (!isRecord(result)) return 'vulnerability scan has no scanner.result object';
  const out: Finding[] = [];
  if (Array.isArray(result.matches)) {
    for (const m of result.matches) out.push({ id: str(at(m, 'vulnerability', 'id')) ?? '?', severity: normalizeSeverity(at(m, 'vulnerability', 'severity')) });
    return out;
  }
  if ('SchemaVersion' in result || Array.isArray(result.Results)) {
    for (const r of Array.isArray(result.Results) ? result.Results : []) {
      const vulns = at(r, 'Vulnerabilities');
      for (const v of Array.isArray(vulns) ? vulns : []) out.push({ id: str(at(v, 'VulnerabilityID')) ?? '?', severity: normalizeSeverity(at(v, 'Severity')) });
    }
    return out;
  }
  return 'vulnerability scan result is neither Trivy (Results) nor Grype (matches) JSON';
}

function ids(findings: readonly Finding[]): string {
  const shown = [...new Set(findings.map((f) => f.id))];
  return shown.length <= 3 ? shown.join(', ') : `${shown.slice(0, 3).join(', ')}, …`;
}

// ---- the conditions of one requirement ---------------------------------------------------------

/** The first condition `st` fails (with the value that failed it), or undefined. Freshness is separate. */
export function conditionProblem(req: AttestationRequirement, st: Statement): string | undefined {
  switch (req.kind) {
    case 'slsaProvenance': {
      const f = provenanceFields(st);
      return (
        stringConditionProblem('provenance builder.id', req.builderId, f.builderId) ??
        stringConditionProblem('provenance buildType', req.buildType, f.buildType) ??
        stringConditionProblem('provenance source repository', req.sourceRepository, f.sourceRepository) ??
        stringConditionProblem('provenance source ref', req.sourceRef, f.sourceRef)
      );
    }
    case 'vulnerabilityScan': {
      if (req.maxSeverity === undefined && req.maxCountBySeverity === undefined) return undefined;
      const findings = vulnerabilityFindings(st);
      if (typeof findings === 'string') return findings;
      const scanned = statementTime(st).value;
      const label = scanned === undefined ? 'vulnerability scan' : `vulnerability scan of ${scanned}`;
      if (req.maxSeverity !== undefined) {
        const allowed = req.maxSeverity === 'NONE' ? 0 : SEVERITY_ORDER.indexOf(req.maxSeverity) + 1;
        for (const sev of [...SEVERITY_ORDER].reverse().slice(0, SEVERITY_ORDER.length - allowed)) {
          const over = findings.filter((x) => x.severity === sev);
          if (over.length > 0) return `${label} reports ${over.length} ${sev} finding${over.length === 1 ? '' : 's'} (${ids(over)}), above maxSeverity ${req.maxSeverity}`;
        }
      }
      for (const sev of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const) {
        const limit = req.maxCountBySeverity?.[sev];
        if (limit === undefined) continue;
        const found = findings.filter((x) => x.severity === sev);
        if (found.length > limit) return `${label} reports ${found.length} ${sev} findings (${ids(found)}), more than maxCountBySeverity.${sev} ${limit}`;
      }
      return undefined;
    }
    case 'sbom':
    case 'custom':
      return undefined;
  }
}

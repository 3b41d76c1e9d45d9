/**
 * The pure part of attestation checks (runtime/images/predicates.ts): where each condition reads
 * its value in each predicate version, scanner formats, missing or unreadable times, subjects, and
 * hostile values against patterns.
 */
import { describe, expect, it } from 'vitest';
import type { AttestationRequirement } from '../../runtime/bundle';
import {
  conditionProblem,
  freshness,
  parseStatement,
  provenanceFields,
  splitSourceUri,
  stringConditionProblem,
  subjectProblem,
  vulnerabilityFindings,
  type Statement,
} from '../../runtime/images/predicates';
import { statement, provenanceV02, provenanceV1, SLSA_V02, SLSA_V1, VULN_V1, trivyScan } from '../helpers/attestations';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

function parsed(predicateType: string, predicate: unknown, digest = DIGEST): Statement {
  const st = parseStatement('application/vnd.in-toto+json', statement(digest, 'registry.example.com/app', predicateType, predicate));
  if (typeof st === 'string') throw new Error(st);
  return st;
}

const scanReq = (o: Partial<Extract<AttestationRequirement, { kind: 'vulnerabilityScan' }>> = {}): AttestationRequirement => ({
  name: 'scan',
  kind: 'vulnerabilityScan',
  attestors: [],
  predicateTypes: [VULN_V1],
  ...o,
});

describe('predicates', () => {
  it('reads SLSA v1 from externalParameters.workflow, else the first resolved dependency; v0.2 from configSource, else materials', () => {
    const p = { builderId: 'https://b', repository: 'https://github.com/acme/app', ref: 'refs/heads/main', buildType: 'https://t' };
    expect(provenanceFields(parsed(SLSA_V1, provenanceV1(p)))).toEqual({ builderId: 'https://b', buildType: 'https://t', sourceRepository: 'https://github.com/acme/app', sourceRef: 'refs/heads/main' });
    const v1 = provenanceV1(p) as { buildDefinition: { externalParameters: unknown } };
    v1.buildDefinition.externalParameters = {};
    expect(provenanceFields(parsed(SLSA_V1, v1))).toMatchObject({ sourceRepository: 'https://github.com/acme/app', sourceRef: 'refs/heads/main' });
    const v02 = provenanceV02(p) as { invocation: unknown };
    expect(provenanceFields(parsed(SLSA_V02, v02))).toEqual({ builderId: 'https://b', buildType: 'https://t', sourceRepository: 'https://github.com/acme/app', sourceRef: 'refs/heads/main' });
    v02.invocation = {};
    expect(provenanceFields(parsed(SLSA_V02, v02))).toMatchObject({ sourceRepository: 'https://github.com/acme/app', sourceRef: 'refs/heads/main' });
    expect(splitSourceUri('git+https://github.com/acme/app@refs/tags/v1.2.3')).toEqual({ repository: 'https://github.com/acme/app', ref: 'refs/tags/v1.2.3' });
    expect(splitSourceUri('https://github.com/acme/app')).toEqual({ repository: 'https://github.com/acme/app' });
    expect(splitSourceUri('ssh://git@github.com/acme/app')).toEqual({ repository: 'ssh://git@github.com/acme/app' });
  });

  it('a missing field fails its condition, naming what was expected; a hostile value never reaches a pattern', () => {
    const empty = parsed(SLSA_V1, {});
    const req: AttestationRequirement = { name: 'b', kind: 'slsaProvenance', attestors: [], predicateTypes: [SLSA_V1], builderId: { exact: 'https://b' } };
    expect(conditionProblem(req, empty)).toBe('provenance builder.id is missing (expected https://b)');
    expect(stringConditionProblem('provenance source ref', { pattern: 'refs/heads/.*' }, `refs/heads/${'x'.repeat(5000)}`)).toMatch(/does not match \^\(\?:refs\/heads\/\.\*\)\$$/);
    expect(stringConditionProblem('provenance source ref', { pattern: 'refs/heads/.*' }, 'refs/heads/main')).toBeUndefined();
  });

  it('reads Trivy and Grype results; Negligible counts as LOW, unknown severities as UNKNOWN; another format fails a severity condition', () => {
    expect(vulnerabilityFindings(parsed(VULN_V1, trivyScan([{ id: 'CVE-1', severity: 'HIGH' }, { id: 'CVE-2', severity: 'weird' }])))).toEqual([
      { id: 'CVE-1', severity: 'HIGH' },
      { id: 'CVE-2', severity: 'UNKNOWN' },
    ]);
    const grype = { scanner: { result: { matches: [{ vulnerability: { id: 'GHSA-1', severity: 'Negligible' } }, { vulnerability: { id: 'CVE-3', severity: 'Critical' } }] } }, metadata: {} };
    expect(vulnerabilityFindings(parsed(VULN_V1, grype))).toEqual([
      { id: 'GHSA-1', severity: 'LOW' },
      { id: 'CVE-3', severity: 'CRITICAL' },
    ]);
    expect(conditionProblem(scanReq({ maxSeverity: 'HIGH' }), parsed(VULN_V1, grype))).toBe('vulnerability scan reports 1 CRITICAL finding (CVE-3), above maxSeverity HIGH');
    const other = parsed(VULN_V1, { scanner: { result: { findings: [] } } });
    expect(conditionProblem(scanReq({ maxSeverity: 'HIGH' }), other)).toBe('vulnerability scan result is neither Trivy (Results) nor Grype (matches) JSON');
    // Presence only (no severity condition): the format does not matter.
    expect(conditionProblem(scanReq(), other)).toBeUndefined();
    // A Trivy report without findings has no Vulnerabilities arrays.
    expect(vulnerabilityFindings(parsed(VULN_V1, { scanner: { result: { SchemaVersion: 2 } } }))).toEqual([]);
  });

  it('maxAge: by the predicate time; a missing or unreadable time never counts as fresh', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    const req = scanReq({ maxAgeSeconds: 3600 });
    expect(freshness(req, parsed(VULN_V1, trivyScan([], '2026-06-01T11:30:00Z')), now)).toEqual({ until: Date.parse('2026-06-01T12:30:00Z') });
    expect(freshness(req, parsed(VULN_V1, trivyScan([], '2026-06-01T10:00:00Z')), now).problem).toBe(
      'vulnerability scan scanFinishedOn 2026-06-01T10:00:00Z is 2h old, older than maxAge 60m',
    );
    expect(freshness(req, parsed(VULN_V1, { scanner: {} }), now).problem).toBe('vulnerability scan has no scanFinishedOn, so its age (maxAge 60m) cannot be checked');
    expect(freshness(req, parsed(VULN_V1, { metadata: { scanFinishedOn: 'yesterday' } }), now).problem).toBe('vulnerability scan scanFinishedOn "yesterday" is not a timestamp');
    expect(freshness(scanReq(), parsed(VULN_V1, {}), now)).toEqual({});
  });

  it('subjects: the statement must name the admitted digest', () => {
    expect(subjectProblem(parsed(SLSA_V1, {}), DIGEST)).toBeUndefined();
    expect(subjectProblem(parsed(SLSA_V1, {}, OTHER), DIGEST)).toBe(`${SLSA_V1} statement is for ${OTHER} (registry.example.com/app), not ${DIGEST}`);
    expect(parseStatement('text/plain', Buffer.from('{}'))).toBe('DSSE payload type text/plain is not an in-toto statement');
    expect(parseStatement('application/vnd.in-toto+json', Buffer.from('not json'))).toBe('in-toto statement is not JSON');
  });
});

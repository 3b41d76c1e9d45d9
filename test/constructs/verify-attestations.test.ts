/**
 * VerifyAttestations in the DSL: what it compiles to (data, never code), every synth-time refusal
 * of a condition (unknown predicate field, unsafe pattern, contradictory limits, wrong predicate
 * types, unlisted repository host, timeouts), and `portcullis diff` sentences for condition changes
 * with their direction (stricter / looser / neutral).
 */
import { generateKeyPairSync } from 'node:crypto';
import { Duration } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import {
  customAttestation,
  keyAttestor,
  keylessAttestor,
  Policy,
  sbom,
  slsaProvenance,
  VerifyAttestations,
  vulnerabilityScan,
  type PortcullisApp,
  type VerifyAttestationsProps,
} from '../../constructs';
import { validateBundle, type AttestationRequirement, type Bundle, type VerifyAttestationsRule } from '../../runtime/bundle';
import { diffBundles } from '../../runtime/report/bundle-diff';
import { toText } from '../../runtime/report/sentence';
import { newApp, synthError } from './helpers';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const BUILDER = 'https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main';
const ci = [{ entries: [keylessAttestor('gha', [{ subject: BUILDER, issuer: 'https://token.actions.githubusercontent.com' }])] }];
const scanner = [{ entries: [keyAttestor('scanner', key)] }];

function app(attestations: AttestationRequirement[], extra: Partial<VerifyAttestationsProps> = {}, mode: 'Audit' | 'Enforce' = 'Audit'): PortcullisApp {
  const a = newApp();
  const p = new Policy(a, 'provenance', { mode, timeoutSeconds: 10 });
  new VerifyAttestations(p, 'built-by-ci', {
    imageReferences: ['registry.example.com/team/**'],
    attestations,
    registries: [{ host: 'registry.example.com' }],
    ...extra,
  });
  return a;
}

function problems(a: PortcullisApp): string[] {
  return synthError(() => a.build()).problems.map((p) => p.message);
}

const provenance = (o: Partial<Parameters<typeof slsaProvenance>[1]> = {}) =>
  slsaProvenance('build', { attestors: ci, builderId: BUILDER, sourceRepository: 'https://github.com/acme/app', sourceRef: { pattern: 'refs/heads/(main|release-[0-9]+)' }, ...o });
const scan = (o: Partial<Parameters<typeof vulnerabilityScan>[1]> = {}) => vulnerabilityScan('scan', { attestors: scanner, maxAge: Duration.hours(24), maxSeverity: 'HIGH', ...o });

describe('VerifyAttestations synth', () => {
  it('compiles conditions to data in the bundle, in Audit, validating only', () => {
    const { bundle } = app([provenance(), scan({ maxCountBySeverity: { HIGH: 3 } }), sbom('sbom', { attestors: ci, formats: ['spdx'] })]).build();
    expect(() => validateBundle(bundle)).not.toThrow();
    const rule = bundle.policies[0].rules[0] as VerifyAttestationsRule;
    expect(rule.type).toBe('verifyAttestations');
    expect(rule.attestations).toEqual([
      {
        name: 'build',
        kind: 'slsaProvenance',
        attestors: ci,
        predicateTypes: ['https://slsa.dev/provenance/v0.2', 'https://slsa.dev/provenance/v1'],
        builderId: { exact: BUILDER },
        sourceRepository: { exact: 'https://github.com/acme/app' },
        sourceRef: { pattern: 'refs/heads/(main|release-[0-9]+)' },
      },
      {
        name: 'scan',
        kind: 'vulnerabilityScan',
        attestors: scanner,
        predicateTypes: ['https://cosign.sigstore.dev/attestation/vuln/v1'],
        maxAgeSeconds: 86400,
        maxSeverity: 'HIGH',
        maxCountBySeverity: { HIGH: 3 },
      },
      { name: 'sbom', kind: 'sbom', attestors: ci, predicateTypes: ['https://spdx.dev/Document'] },
    ]);
    expect(bundle.webhooks.filter((w) => w.type === 'mutating').flatMap((w) => w.policies)).not.toContain('provenance');
    expect(bundle.webhooks.filter((w) => w.type === 'validating').flatMap((w) => w.policies)).toContain('provenance');
  });

  it('refuses an unknown predicate field, naming the known ones', () => {
    const bad = { ...provenance(), builderID: { exact: BUILDER } } as unknown as AttestationRequirement;
    expect(problems(app([bad]))).toContainEqual(expect.stringMatching(/"builderID" is not a condition of slsaProvenance attestations \(known: maxAgeSeconds, builderId, sourceRepository, sourceRef, buildType\)\. Fix: /));
    const sbomSeverity = { ...sbom('sbom', { attestors: ci }), maxSeverity: 'HIGH' } as unknown as AttestationRequirement;
    expect(problems(app([sbomSeverity]))).toContainEqual(expect.stringMatching(/"maxSeverity" is not a condition of sbom attestations/));
  });

  it('refuses an unsafe or invalid pattern, and a condition with both or neither of exact/pattern', () => {
    expect(problems(app([provenance({ sourceRef: { pattern: '(a+)+' } })]))).toContainEqual(expect.stringMatching(/sourceRef pattern "\(a\+\)\+" is refused by the engine: .*Fix: /));
    expect(problems(app([provenance({ builderId: { pattern: '[' } })]))).toContainEqual(expect.stringMatching(/builderId pattern "\[" is refused/));
    const both = { ...provenance(), buildType: { exact: 'x', pattern: 'y' } } as unknown as AttestationRequirement;
    expect(problems(app([both]))).toContainEqual(expect.stringMatching(/buildType must be a non-empty exact string or \{ pattern \}/));
  });

  it('refuses contradictory vulnerability limits and severities it does not know', () => {
    expect(problems(app([scan({ maxSeverity: 'HIGH', maxCountBySeverity: { CRITICAL: 2 } })]))).toContainEqual(
      'attestations[0] "scan": maxCountBySeverity.CRITICAL 2 contradicts maxSeverity HIGH, which allows no CRITICAL finding. Fix: drop the count, or raise maxSeverity to CRITICAL.',
    );
    expect(problems(app([scan({ maxSeverity: 'NONE', maxCountBySeverity: { LOW: 1 } })]))).toContainEqual(expect.stringMatching(/maxCountBySeverity\.LOW 1 contradicts maxSeverity NONE/));
    // A zero count under the severity ceiling is redundant, not contradictory.
    expect(() => app([scan({ maxSeverity: 'HIGH', maxCountBySeverity: { CRITICAL: 0, HIGH: 2 } })]).build()).not.toThrow();
    const critical = { ...scan(), maxSeverity: 'CRITICAL' } as unknown as AttestationRequirement;
    expect(problems(app([critical]))).toContainEqual(expect.stringMatching(/maxSeverity "CRITICAL" is not one of NONE, LOW, MEDIUM, HIGH \(CRITICAL would allow everything\)/));
    const typo = scan({ maxCountBySeverity: { SEVERE: 1 } as never });
    expect(problems(app([typo]))).toContainEqual(expect.stringMatching(/unknown severity "SEVERE"/));
    expect(problems(app([scan({ maxAge: Duration.millis(500) })]))).toContainEqual(expect.stringMatching(/maxAge of 0.5s is not a positive whole number of seconds/));
  });

  it('refuses predicate types that do not fit the kind, and custom types that have typed conditions', () => {
    const wrong = { ...provenance(), predicateTypes: ['https://slsa.dev/provenance/v2'] } as unknown as AttestationRequirement;
    expect(problems(app([wrong]))).toContainEqual(expect.stringMatching(/predicate type "https:\/\/slsa\.dev\/provenance\/v2" is not a slsaProvenance type/));
    expect(problems(app([customAttestation('c', { attestors: ci, predicateType: 'https://slsa.dev/provenance/v1' })]))).toContainEqual(
      expect.stringMatching(/has typed conditions\. Fix: use slsaProvenance\(\) instead of customAttestation\(\)/),
    );
    expect(problems(app([customAttestation('c', { attestors: ci, predicateType: 'review' })]))).toContainEqual(expect.stringMatching(/predicate type "review" is not a URI/));
    expect(() => app([customAttestation('review', { attestors: ci, predicateType: 'https://acme.example/review/v1' })]).build()).not.toThrow();
  });

  it('refuses duplicate names, empty attestors, bad attestor counts, an unlisted repository host and a timeout at the webhook limit', () => {
    const out = problems(
      app([provenance(), provenance({ attestors: [{ count: 2, entries: [keyAttestor('k', key)] }] })], { repository: 'elsewhere.example.net/attestations', requestTimeoutMs: 10_000 }),
    );
    expect(out).toContainEqual('attestations[1] "build": the name is used twice. Fix: give each attestation requirement a distinct name.');
    expect(out).toContainEqual(expect.stringMatching(/attestations\[1\] "build" attestors\[0\]\.count 2 is not between 1 and its 1 entries/));
    expect(out).toContainEqual(expect.stringMatching(/repository "elsewhere\.example\.net\/attestations" is on registry "elsewhere\.example\.net", which is not in the rule's registries .*: attestations would be read from a host the rule may not contact/));
    expect(out).toContainEqual(expect.stringMatching(/requestTimeoutMs 10000 is not below the webhook timeout/));
    expect(problems(app([]))).toContainEqual(expect.stringMatching(/attestations is empty/));
    expect(problems(app([slsaProvenance('build', { attestors: [] })]))).toContainEqual(expect.stringMatching(/attestors is empty/));
  });
});

describe('VerifyAttestations in the bundle loader', () => {
  it('refuses a hand-edited bundle whose attestation attestor names an unknown trusted root, or a count above its entries', () => {
    const { bundle } = app([provenance()]).build();
    const edited = structuredClone(bundle);
    const rule = edited.policies[0].rules[0] as VerifyAttestationsRule;
    const entry = rule.attestations[0].attestors[0].entries[0];
    if (entry.type === 'keyless') entry.trustedRoot = 'air-gapped';
    expect(() => validateBundle(edited)).toThrow(/\/policies\/0\/rules\/0\/attestations\/0\/attestors\/0\/entries\/0\/trustedRoot.*unknown trusted root "air-gapped"/);
    const counted = structuredClone(bundle);
    (counted.policies[0].rules[0] as VerifyAttestationsRule).attestations[0].attestors[0].count = 2;
    expect(() => validateBundle(counted)).toThrow(/attestations\/0\/attestors\/0\/count.*count 2 exceeds the 1 attestor/);
  });
});

describe('portcullis diff: attestation conditions', () => {
  const NOW = new Date('2026-06-01T12:00:00Z');
  const base = (): Bundle => app([provenance(), scan({ maxCountBySeverity: { HIGH: 3 } })]).build().bundle;
  function sentences(edit: (r: VerifyAttestationsRule) => void): string[] {
    const before = base();
    const after = structuredClone(before);
    for (const r of after.policies[0].rules) if (r.type === 'verifyAttestations') edit(r);
    return diffBundles(before, validateBundle(after).bundle, { now: NOW }).changes.map((c) => `${c.direction}: ${toText(c.sentence)}`);
  }
  const req = <K extends AttestationRequirement['kind']>(r: VerifyAttestationsRule, kind: K) => r.attestations.find((a) => a.kind === kind) as Extract<AttestationRequirement, { kind: K }>;

  it('a new requirement is stricter, a removed one looser', () => {
    const before = app([provenance()]).build().bundle;
    const after = app([provenance(), scan()]).build().bundle;
    const d = diffBundles(before, after, { now: NOW }).changes.map((c) => `${c.direction}: ${toText(c.sentence)}`);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatch(/^stricter: Rule "provenance\/built-by-ci" now also requires the vulnerability scan "scan" \("https:\/\/cosign\.sigstore\.dev\/attestation\/vuln\/v1"\) signed by key "scanner" \(sha256:[0-9a-f]{16}\) with at most 24h old, no finding above HIGH\.$/);
    expect(diffBundles(after, before, { now: NOW }).changes[0]?.direction).toBe('looser');
  });

  it('conditions added, dropped and changed', () => {
    expect(sentences((r) => (req(r, 'slsaProvenance').buildType = { exact: 'https://actions.github.io/buildtypes/workflow/v1' }))).toEqual([
      'stricter: Rule "provenance/built-by-ci" attestation "build" now requires buildType "https://actions.github.io/buildtypes/workflow/v1".',
    ]);
    expect(sentences((r) => delete req(r, 'slsaProvenance').builderId)).toEqual([`looser: Rule "provenance/built-by-ci" attestation "build" no longer checks builder.id (was "${BUILDER}").`]);
    expect(sentences((r) => (req(r, 'slsaProvenance').sourceRef = { exact: 'refs/heads/main' }))).toEqual([
      'neutral: Rule "provenance/built-by-ci" attestation "build" now requires source ref "refs/heads/main" instead of matching "refs/heads/(main|release-[0-9]+)".',
    ]);
    expect(sentences((r) => (req(r, 'slsaProvenance').predicateTypes = ['https://slsa.dev/provenance/v1']))).toEqual([
      'stricter: Rule "provenance/built-by-ci" attestation "build" no longer accepts statements of type "https://slsa.dev/provenance/v0.2".',
    ]);
  });

  it('age, severity and count limits: lower is stricter, higher or none is looser', () => {
    expect(sentences((r) => (req(r, 'vulnerabilityScan').maxAgeSeconds = 7 * 86400))).toEqual(['looser: Rule "provenance/built-by-ci" attestation "scan" maximum age changes from 24h to 7d.']);
    expect(sentences((r) => (req(r, 'vulnerabilityScan').maxAgeSeconds = 3600))).toEqual(['stricter: Rule "provenance/built-by-ci" attestation "scan" maximum age changes from 24h to 60m.']);
    expect(sentences((r) => (req(r, 'vulnerabilityScan').maxSeverity = 'MEDIUM'))).toEqual([
      'stricter: Rule "provenance/built-by-ci" attestation "scan" highest allowed severity changes from "HIGH" to "MEDIUM".',
    ]);
    expect(sentences((r) => delete req(r, 'vulnerabilityScan').maxSeverity)).toEqual([
      'looser: Rule "provenance/built-by-ci" attestation "scan" highest allowed severity changes from "HIGH" to "any".',
    ]);
    expect(sentences((r) => (req(r, 'vulnerabilityScan').maxCountBySeverity = { HIGH: 5, MEDIUM: 10 }))).toEqual([
      'looser: Rule "provenance/built-by-ci" attestation "scan" allowed HIGH findings change from 3 to 5.',
      'stricter: Rule "provenance/built-by-ci" attestation "scan" allowed MEDIUM findings change from any number to 10.',
    ]);
  });
});

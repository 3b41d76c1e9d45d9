/**
 * Policy fixtures, in the spirit of `kyverno test`: resources plus the expected result per resource
 * and per policy/rule, checked with the runtime's own engine (mutate → validate).
 *
 *   apiVersion: portcullis.dev/v1alpha1
 *   kind: PolicyTest
 *   metadata: { name: restricted-pods }
 *   now: "2026-06-01T00:00:00Z"          # optional: the clock for exemption expiry
 *   namespaceLabels: { team: payments }   # optional: labels of every namespace
 *   resources:                            # manifest files (relative to this file) or inline objects
 *     - resources/privileged-pod.yaml
 *     - { apiVersion: v1, kind: Pod, metadata: { name: web, namespace: apps }, spec: { ... } }
 *   results:
 *     - resource: Pod/apps/web            # Kind/namespace/name or Kind/name; `resources: [..]` for several
 *       allowed: false                    # optional: the overall admission verdict
 *       policy: pod-security              # optional, with rule: one rule's result
 *       rule: restricted
 *       result: fail                      # pass | fail | warn | skip | exempt | error
 *       controls: [privileged]            # optional: exactly the controls that rule reported
 *       exemptions: [network-tools]       # optional: exactly the exemptions that relieved findings
 *                                         #   of that rule (entirely or some values; [] = none)
 *       patched: true                     # optional: whether mutation changed the resource
 *       images: { app: "registry.acme.test/shop/api:1.4.2@sha256:…" }  # optional: a container's image
 *                                         #   after mutation (digest pinning), by container name
 *
 * `result: exempt` means the rule found something and exemptions relieved all of it; a rule whose
 * findings an exemption relieved only partly is `fail`/`warn` and still lists the exemption.
 *
 * Fixtures never contact a registry. What the registry would say about named images is declared in
 * `signatures` (see ./fixture-images.ts: digest, verifiedBy attestor names, unsigned, or a registry
 * error); a verifyImages rule that matches an image the fixture does not declare is `skip`
 * ("offline: signatures not checked"), neither an error nor a denial.
 *
 *   signatures:
 *     "registry.acme.test/shop/api:1.4.2": { digest: "sha256:<64 hex>", verifiedBy: [ci-main] }
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle } from '../bundle';
import { isRecord } from '../engine/pod-view';
import type { RuleResultKind } from '../engine/types';
import { containerImages, fixtureImageVerifier, parseFixtureSignatures, type DeclaredSignature } from './fixture-images';
import { InputError, parseDocuments, toInputs } from './input';
import { evaluateDocuments, type ResourceReport } from './offline-run';

export const FIXTURE_API_VERSION = 'portcullis.dev/v1alpha1';
export const FIXTURE_KIND = 'PolicyTest';
const RESULTS: readonly RuleResultKind[] = ['pass', 'fail', 'warn', 'skip', 'exempt', 'error'];

export interface FixtureExpectation {
  resources: string[];
  allowed?: boolean;
  policy?: string;
  rule?: string;
  result?: RuleResultKind;
  controls?: string[];
  exemptions?: string[];
  patched?: boolean;
  /** Container name → its image after mutation. */
  images?: Record<string, string>;
}

export interface Fixture {
  name: string;
  file: string;
  now?: Date;
  namespaceLabels?: Record<string, string>;
  /** What the registry would say about named images (fixture-images.ts). */
  signatures?: DeclaredSignature[];
  /** Parsed documents (files already read). */
  documents: Array<{ source: string; doc: Record<string, unknown> }>;
  expectations: FixtureExpectation[];
}

export interface FixtureCheck {
  fixture: string;
  resource: string;
  what: string;
  expected: string;
  actual: string;
  ok: boolean;
}

export function isFixtureDocument(doc: unknown): boolean {
  return isRecord(doc) && doc.apiVersion === FIXTURE_API_VERSION && doc.kind === FIXTURE_KIND;
}

function fail(file: string, msg: string): never {
  throw new InputError(`${file}: ${msg}`);
}

function stringArray(v: unknown, file: string, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail(file, `${what} must be a list of strings`);
  return v;
}

function parseExpectation(v: unknown, file: string, i: number): FixtureExpectation {
  const at = `results[${i}]`;
  if (!isRecord(v)) fail(file, `${at} must be an object`);
  const known = ['resource', 'resources', 'allowed', 'policy', 'rule', 'result', 'controls', 'exemptions', 'patched', 'images'];
  for (const k of Object.keys(v)) if (!known.includes(k)) fail(file, `${at}: unknown field "${k}"`);
  const resources = v.resources !== undefined ? stringArray(v.resources, file, `${at}.resources`) : [];
  if (typeof v.resource === 'string') resources.push(v.resource);
  if (resources.length === 0) fail(file, `${at} names no resource`);
  const e: FixtureExpectation = { resources };
  if (v.allowed !== undefined) {
    if (typeof v.allowed !== 'boolean') fail(file, `${at}.allowed must be true or false`);
    e.allowed = v.allowed;
  }
  if (v.patched !== undefined) {
    if (typeof v.patched !== 'boolean') fail(file, `${at}.patched must be true or false`);
    e.patched = v.patched;
  }
  if (v.images !== undefined) {
    if (!isRecord(v.images) || !Object.values(v.images).every((x) => typeof x === 'string')) fail(file, `${at}.images must map container names to images`);
    e.images = v.images as Record<string, string>;
  }
  if (v.policy !== undefined || v.rule !== undefined || v.result !== undefined || v.controls !== undefined || v.exemptions !== undefined) {
    if (typeof v.policy !== 'string' || typeof v.rule !== 'string') fail(file, `${at}: policy and rule go together`);
    e.policy = v.policy;
    e.rule = v.rule;
    if (v.result !== undefined) {
      if (typeof v.result !== 'string' || !(RESULTS as readonly string[]).includes(v.result)) {
        fail(file, `${at}.result must be one of ${RESULTS.join(', ')}`);
      }
      e.result = v.result as RuleResultKind;
    }
    if (v.controls !== undefined) e.controls = stringArray(v.controls, file, `${at}.controls`);
    if (v.exemptions !== undefined) e.exemptions = stringArray(v.exemptions, file, `${at}.exemptions`);
  }
  if (e.allowed === undefined && e.result === undefined && e.controls === undefined && e.exemptions === undefined && e.patched === undefined && e.images === undefined) {
    fail(file, `${at} expects nothing (give allowed, result, controls, exemptions, patched or images)`);
  }
  return e;
}

/** Parse one fixture document; `file` locates relative resource files. */
export function parseFixture(doc: Record<string, unknown>, file: string): Fixture {
  const meta = isRecord(doc.metadata) ? doc.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : path.basename(file);
  const fixture: Fixture = { name, file, documents: [], expectations: [] };
  if (doc.now !== undefined) {
    const t = typeof doc.now === 'string' ? Date.parse(doc.now) : NaN;
    if (Number.isNaN(t)) fail(file, 'now must be an RFC 3339 time');
    fixture.now = new Date(t);
  }
  if (doc.namespaceLabels !== undefined) {
    if (!isRecord(doc.namespaceLabels) || !Object.values(doc.namespaceLabels).every((x) => typeof x === 'string')) {
      fail(file, 'namespaceLabels must map strings to strings');
    }
    fixture.namespaceLabels = doc.namespaceLabels as Record<string, string>;
  }
  if (doc.signatures !== undefined) fixture.signatures = parseFixtureSignatures(doc.signatures, file);
  if (!Array.isArray(doc.resources) || doc.resources.length === 0) fail(file, 'resources must list at least one manifest');
  doc.resources.forEach((r: unknown, i) => {
    if (typeof r === 'string') {
      const f = path.resolve(path.dirname(file), r);
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch {
        fail(file, `resources[${i}]: cannot read ${r}`);
      }
      fixture.documents.push(...parseDocuments(text, path.relative(process.cwd(), f)));
    } else if (isRecord(r)) {
      fixture.documents.push({ source: `${file}#resources[${i}]`, doc: r });
    } else {
      fail(file, `resources[${i}] must be a file name or a manifest`);
    }
  });
  if (!Array.isArray(doc.results) || doc.results.length === 0) fail(file, 'results must list at least one expectation');
  fixture.expectations = doc.results.map((r: unknown, i) => parseExpectation(r, file, i));
  return fixture;
}

/** Every PolicyTest document of a file. */
export function readFixtureFile(file: string): Fixture[] {
  return parseDocuments(readFileSync(file, 'utf8'), file)
    .filter(({ doc }) => isFixtureDocument(doc))
    .map(({ doc }) => parseFixture(doc, file));
}

function reportKeys(r: ResourceReport): string[] {
  const keys = [`${r.kind}/${r.name}`];
  if (r.namespace !== undefined) keys.push(`${r.kind}/${r.namespace}/${r.name}`);
  return keys;
}

/** Evaluate a fixture against a bundle and compare every expectation. */
export async function runFixture(fixture: Fixture, bundle: Bundle, now: Date = new Date()): Promise<FixtureCheck[]> {
  const inputs = toInputs(fixture.documents, fixture.namespaceLabels ? { namespaceLabels: fixture.namespaceLabels } : {});
  const images = fixtureImageVerifier(fixture.signatures ?? [], bundle, fixture.file);
  const reports = await evaluateDocuments(inputs, bundle, { now: fixture.now ?? now, images });
  const checks: FixtureCheck[] = [];
  const check = (resource: string, what: string, expected: string, actual: string) =>
    checks.push({ fixture: fixture.name, resource, what, expected, actual, ok: expected === actual });
  for (const e of fixture.expectations) {
    for (const resource of e.resources) {
      const matches = reports.filter((r) => reportKeys(r).includes(resource));
      if (matches.length !== 1) {
        check(resource, 'resource', 'exactly one resource with this name', `${matches.length} found`);
        continue;
      }
      const r = matches[0];
      if (e.allowed !== undefined) check(resource, 'allowed', String(e.allowed), String(r.allowed));
      if (e.patched !== undefined) check(resource, 'patched', String(e.patched), String(r.patches.length > 0));
      if (e.images !== undefined) {
        const after = containerImages(r.patched);
        for (const [container, image] of Object.entries(e.images)) check(resource, `container "${container}" image`, image, after.get(container) ?? '(no such container)');
      }
      if (e.policy !== undefined && e.rule !== undefined) {
        const id = `${e.policy}/${e.rule}`;
        const actual = r.results.find((x) => x.policy === e.policy && x.rule === e.rule)?.result ?? 'skip';
        if (e.result !== undefined) check(resource, `${id} result`, e.result, actual);
        if (e.controls !== undefined) {
          const reported = [...r.violations, ...r.warnings].filter((v) => v.policy === e.policy && v.rule === e.rule).map((v) => v.control);
          check(resource, `${id} controls`, [...new Set(e.controls)].sort().join(','), [...new Set(reported)].sort().join(','));
        }
        if (e.exemptions !== undefined) {
          const used = r.exemptions.filter((x) => x.policy === e.policy && x.rule === e.rule).map((x) => x.exemption);
          const list = (names: readonly string[]) => [...new Set(names)].sort().join(',') || '(none)';
          check(resource, `${id} exemptions`, list(e.exemptions), list(used));
        }
      }
    }
  }
  return checks;
}

export function renderFixtureChecks(checks: readonly FixtureCheck[]): string {
  const lines = checks.map(
    (c) => `${c.ok ? 'PASS' : 'FAIL'}  ${c.fixture}  ${c.resource}  ${c.what}: expected ${c.expected}${c.ok ? '' : `, got ${c.actual}`}`,
  );
  const failed = checks.filter((c) => !c.ok).length;
  lines.push('', `${checks.length} expectation(s): ${checks.length - failed} passed, ${failed} failed`);
  return `${lines.join('\n')}\n`;
}

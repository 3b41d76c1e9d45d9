/* eslint-disable @typescript-eslint/no-explicit-any -- JSON output is inspected loosely */
/**
 * Offline signature testing (`portcullis test`): signature rules are skipped offline ("offline:
 * signatures not checked"), never errors or denials; `--verify-images` uses the registry verifier
 * (checked against the real docker-registry); PolicyTest `signatures` declare what the registry
 * would say, and their verdicts come from the same attestor-set code as the registry verifier's;
 * `serve` never loads the offline verifiers and still treats a missing verifier as an error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moduleGraph } from '../helpers/import-graph';
import { keyAttestor, Policy, VerifyImages } from '../../constructs';
import { prettyCanonicalJson, type AttestorSet, type Bundle } from '../../runtime/bundle';
import { fixtureImageVerifier, parseFixtureSignatures } from '../../runtime/cli/fixture-images';
import { parseFixture, runFixture, type FixtureCheck } from '../../runtime/cli/fixtures';
import { InputError, parseDocuments, toInputs } from '../../runtime/cli/input';
import { offlineImageVerifier } from '../../runtime/cli/offline-images';
import { evaluateDocuments, type ResourceReport } from '../../runtime/cli/offline-run';
import { parseTestArgs, runTest, type TestOptions } from '../../runtime/cli/test-command';
import { COSIGN_SIGN_PREDICATE, TrustRoots, verifyAttestorSets, type LegacySignature } from '../../runtime/images';
import { combineAttestorSets } from '../../runtime/images/attestor-sets';
import { newApp } from '../constructs/helpers';
import { ecKeyPair, keyLegacyLayer, pushImage, pushLegacySignatures, randomRepo, signPayload, simpleSigningPayload } from '../helpers/cosign';
import { registryAvailable, registrySkipNotice, startRegistry, type RunningRegistry } from '../helpers/registry';
import { bundleWith, keySet, policyWith, verifyRule } from '../images/fixtures';
import { COMPLIANT_CONTAINER, PATHS, pod, review, testBundle } from '../server/fixtures';
import { startHarness } from '../server/harness';

const ROOT = path.resolve(__dirname, '../..');
const NOW = new Date('2026-06-01T00:00:00Z');
const D = (c: string) => `sha256:${c.repeat(64)}`;
const keys = { ciMain: ecKeyPair(), release: ecKeyPair(), sbomBot: ecKeyPair(), scanner: ecKeyPair() };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-offline-sig-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

/**
 * A team's signature policy, synthesized: every set must pass — set 0: one of ci-main or release;
 * set 1: both sbom-bot and scanner. Pods are pinned; controllers only with `pinControllers`.
 */
function teamBundle(o: { failurePolicy?: 'Fail' | 'Ignore'; pinControllers?: boolean; mode?: 'Enforce' | 'Audit' } = {}): Bundle {
  const app = newApp();
  const policy = new Policy(app, 'shop-signatures', { mode: o.mode ?? 'Enforce', failurePolicy: o.failurePolicy ?? 'Fail' });
  new VerifyImages(policy, 'signed', {
    imageReferences: ['registry.acme.test/shop/**'],
    attestors: [
      { count: 1, entries: [keyAttestor('ci-main', keys.ciMain.publicKeyPem), keyAttestor('release', keys.release.publicKeyPem)] },
      { entries: [keyAttestor('sbom-bot', keys.sbomBot.publicKeyPem), keyAttestor('scanner', keys.scanner.publicKeyPem)] },
    ],
    registries: [{ host: 'registry.acme.test' }],
    ...(o.mode === 'Audit' ? { mutateDigest: false } : {}),
    ...(o.pinControllers === true ? { pinControllers: true } : {}),
  });
  return app.build().bundle;
}

const podYaml = (name: string, image: string, ns = 'shop') => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  containers: [{name: app, image: "${image}"}]
`;

const deploymentYaml = (name: string, image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: app, image: "${image}"}]
`;

const opts = (files: string[], bundle: string, over: Partial<TestOptions> = {}): TestOptions => ({
  files,
  bundle,
  output: 'json',
  now: NOW,
  offline: false,
  ...over,
});

describe('parseTestArgs: --verify-images', () => {
  it('is off by default, selects the registry verifier, refuses --offline with it and --docker-config without it', () => {
    expect(parseTestArgs(['a.yaml'], NOW)).toMatchObject({ offline: false });
    expect((parseTestArgs(['a.yaml'], NOW) as TestOptions).verifyImages).toBeUndefined();
    expect(parseTestArgs(['a.yaml', '--verify-images', '--docker-config', 'c.json'], NOW)).toMatchObject({ verifyImages: true, dockerConfig: 'c.json' });
    expect(() => parseTestArgs(['a.yaml', '--verify-images', '--offline'], NOW)).toThrow(/--offline or --verify-images, not both/);
    expect(() => parseTestArgs(['a.yaml', '--docker-config', 'c.json'], NOW)).toThrow(/--docker-config needs --verify-images/);
  });
});

describe('portcullis test offline: signature rules are skipped, not errors or denials', () => {
  let bundleFile: string;
  beforeAll(() => {
    bundleFile = write('team-bundle.json', prettyCanonicalJson(teamBundle()));
  });

  it('JSON: skipped with the reason, no error, no pinning, allowed; exit 0 (default and --offline alike)', async () => {
    const files = [write('pods.yaml', `${podYaml('api', 'registry.acme.test/shop/api:1.4.2')}---${deploymentYaml('worker', 'registry.acme.test/shop/worker:2.0.0')}`)];
    for (const offline of [false, true]) {
      const r = await runTest(opts(files, bundleFile, { offline }));
      expect(r.exitCode).toBe(0);
      const out = JSON.parse(r.stdout) as Array<Record<string, any>>;
      expect(out.map((x): unknown[] => [x.kind, x.allowed, x.errors, x.violations, x.patches])).toEqual([
        ['Pod', true, [], [], []],
        ['Deployment', true, [], [], []],
      ]);
      expect(out[0].skipped).toEqual([
        { policy: 'shop-signatures', rule: 'signed', reason: 'offline: signatures not checked: container "app" image=registry.acme.test/shop/api:1.4.2' },
      ]);
      expect(out[1].skipped).toEqual([
        { policy: 'shop-signatures', rule: 'signed', reason: 'offline: signatures not checked: container "app" image=registry.acme.test/shop/worker:2.0.0' },
      ]);
    }
  });

  it('table: a skip row per skipped rule, the skipped rules named under the table, and the count', async () => {
    const files = [write('table.yaml', `${podYaml('api', 'registry.acme.test/shop/api:1.4.2')}---${podYaml('web', 'docker.io/library/nginx:1.27')}`)];
    const r = await runTest(opts(files, bundleFile, { output: 'table' }));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Pod\/shop\/api\s+allowed\s+skip\s+shop-signatures\/signed\s+-\s+offline: signatures not checked: container "app" image=registry\.acme\.test\/shop\/api:1\.4\.2$/m);
    expect(r.stdout).toMatch(/^Pod\/shop\/web\s+allowed\s+-\s+-\s+-\s+-$/m); // outside the rule's scope: nothing skipped
    expect(r.stdout).toContain('Skipped, neither passed nor denied: shop-signatures/signed (1 resource). Offline, signatures are not checked: --verify-images checks them.');
    expect(r.stdout).toContain('2 resource(s): 2 allowed, 0 denied, 0 with warnings, 1 with skipped rules');
  });

  it('what is decidable without a registry is still decided: an image on a registry the rule does not name is denied', async () => {
    // a hand-made rule (synth refuses imageReferences outside registries) whose scope covers a second host
    const rule = verifyRule([{ host: 'registry.acme.test' }], [keySet({ name: 'ci', publicKeyPem: keys.ciMain.publicKeyPem })], {
      imageReferences: ['registry.acme.test/**', 'mirror.acme.test/**'],
    });
    const b = write('mirror-bundle.json', prettyCanonicalJson(bundleWith([policyWith(rule)])));
    const r = await runTest(opts([write('mirror.yaml', `${podYaml('ok', 'registry.acme.test/a:1')}---${podYaml('mirrored', 'mirror.acme.test/a:1')}`)], b));
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout) as Array<Record<string, any>>;
    expect(out[0]).toMatchObject({ name: 'ok', allowed: true, skipped: [{ rule: 'signed-images' }] });
    expect(out[1]).toMatchObject({ name: 'mirrored', allowed: false, skipped: [], errors: [] });
    expect(out[1].violations[0].message).toContain('registry "mirror.acme.test" is not configured for this rule');
  });

  it('the engine still reports an error when no verifier is given (the skip is the CLI\'s explicit choice)', async () => {
    const bundle = teamBundle();
    const inputs = toInputs(parseDocuments(podYaml('api', 'registry.acme.test/shop/api:1.4.2'), 'api.yaml'));
    const [none] = await evaluateDocuments(inputs, bundle, { now: NOW });
    expect(none.allowed).toBe(false);
    expect(none.skipped).toEqual([]);
    expect(none.errors[0].message).toContain('verifyImages needs an image verifier, and none is configured');
    const [offline] = await evaluateDocuments(inputs, bundle, { now: NOW, images: offlineImageVerifier() });
    expect(offline).toMatchObject({ allowed: true, errors: [], skipped: [{ rule: 'signed' }] });
    expect(offline.results).toContainEqual({ policy: 'shop-signatures', rule: 'signed', result: 'skip' });
  });
});


const A = D('a');
const B = D('b');
const C = D('c');
const E = D('e');
const F = D('f');
const U = D('0');
const REPO = 'registry.acme.test/shop/api';

/** What the registry would say about each tag of the team's api image. */
const SIGNATURES = `
signatures:
  "${REPO}:1.0.0": {digest: "${A}", verifiedBy: [ci-main, sbom-bot, scanner]}
  "${REPO}:1.1.0": {digest: "${B}", verifiedBy: [release, sbom-bot, scanner]}
  "${REPO}:1.2.0": {digest: "${C}", verifiedBy: [ci-main, release, sbom-bot, scanner]}
  "${REPO}:1.3.0": {digest: "${E}", verifiedBy: [ci-main, sbom-bot]}
  "${REPO}@${F}": {verifiedBy: [sbom-bot, scanner]}
  "${REPO}:1.5.0": {digest: "${U}", unsigned: true}
  "${REPO}:1.6.0": {error: "registry unreachable"}
`;

const FIXTURE_RESOURCES = [
  ['all-sets', `${REPO}:1.0.0`],
  ['release-key', `${REPO}:1.1.0`],
  ['both-of-set-0', `${REPO}:1.2.0`],
  ['set-1-short', `${REPO}:1.3.0`],
  ['set-0-missing', `${REPO}:1.4.0@${F}`],
  ['unsigned', `${REPO}:1.5.0`],
  ['registry-down', `${REPO}:1.6.0`],
  ['undeclared', `${REPO}:9.9.9`],
] as const;

function fixtureText(results: string): string {
  const pods = FIXTURE_RESOURCES.map(([name, image]) => `  - {apiVersion: v1, kind: Pod, metadata: {name: ${name}, namespace: shop}, spec: {containers: [{name: app, image: "${image}"}]}}`);
  return `apiVersion: portcullis.dev/v1alpha1
kind: PolicyTest
metadata: {name: team-signatures}
${SIGNATURES}
resources:
${pods.join('\n')}
  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: api, namespace: shop}, spec: {selector: {matchLabels: {app: api}}, template: {metadata: {labels: {app: api}}, spec: {containers: [{name: app, image: "${REPO}:1.0.0"}]}}}}
results:
${results}`;
}

async function checks(results: string, bundle: Bundle): Promise<FixtureCheck[]> {
  const file = write('team.fixture.yaml', fixtureText(results));
  return runFixture(parseFixture(parseDocuments(readFileSync(file, 'utf8'), file)[0].doc, file), bundle, NOW);
}

const failed = (cs: readonly FixtureCheck[]) => cs.filter((c) => !c.ok).map((c) => `${c.resource} ${c.what}: expected ${c.expected}, got ${c.actual}`);

describe('PolicyTest signatures: what the registry would say, offline', () => {
  it('verdicts: every set must pass, count of a set, unsigned, registry error (failurePolicy Fail), undeclared → skip', async () => {
    const cs = await checks(
      `
  - {resources: [Pod/shop/all-sets, Pod/shop/release-key, Pod/shop/both-of-set-0], allowed: true, policy: shop-signatures, rule: signed, result: pass}
  - {resources: [Pod/shop/set-1-short, Pod/shop/set-0-missing, Pod/shop/unsigned], allowed: false, policy: shop-signatures, rule: signed, result: fail, controls: [verifyImages]}
  - {resource: Pod/shop/registry-down, allowed: false, policy: shop-signatures, rule: signed, result: error}
  - {resource: Pod/shop/undeclared, allowed: true, policy: shop-signatures, rule: signed, result: skip}
  - {resource: Deployment/shop/api, allowed: true, policy: shop-signatures, rule: signed, result: pass}
`,
      teamBundle(),
    );
    expect(failed(cs)).toEqual([]);
    expect(cs).toHaveLength(21);
  });

  it('a wrong expectation fails (the fixture checks can fail)', async () => {
    const cs = await checks('  - {resource: Pod/shop/set-1-short, allowed: true, policy: shop-signatures, rule: signed, result: pass}\n', teamBundle());
    expect(failed(cs)).toEqual(['Pod/shop/set-1-short allowed: expected true, got false', 'Pod/shop/set-1-short shop-signatures/signed result: expected pass, got fail']);
  });

  it('pinning: Pods are pinned to the declared digest; controllers only with pinControllers; nothing is pinned on error or undeclared', async () => {
    const expectations = (deploymentImage: string) => `
  - {resource: Pod/shop/all-sets, patched: true, images: {app: "${REPO}:1.0.0@${A}"}}
  - {resource: Pod/shop/unsigned, patched: true, images: {app: "${REPO}:1.5.0@${U}"}}
  - {resource: Pod/shop/set-0-missing, patched: false, images: {app: "${REPO}:1.4.0@${F}"}}
  - {resource: Pod/shop/registry-down, patched: false, images: {app: "${REPO}:1.6.0"}}
  - {resource: Pod/shop/undeclared, patched: false, images: {app: "${REPO}:9.9.9"}}
  - {resource: Deployment/shop/api, images: {app: "${deploymentImage}"}}
`;
    expect(failed(await checks(expectations(`${REPO}:1.0.0`), teamBundle()))).toEqual([]);
    expect(failed(await checks(expectations(`${REPO}:1.0.0@${A}`), teamBundle({ pinControllers: true })))).toEqual([]);
    // and the check sees a wrong image
    expect(failed(await checks(`  - {resource: Deployment/shop/api, images: {app: "${REPO}:1.0.0"}}\n`, teamBundle({ pinControllers: true })))).toEqual([
      `Deployment/shop/api container "app" image: expected ${REPO}:1.0.0, got ${REPO}:1.0.0@${A}`,
    ]);
  });

  it('failurePolicy Ignore: a declared registry error is admitted, still reported as an error', async () => {
    const cs = await checks('  - {resource: Pod/shop/registry-down, allowed: true, policy: shop-signatures, rule: signed, result: error}\n', teamBundle({ failurePolicy: 'Ignore' }));
    expect(failed(cs)).toEqual([]);
  });

  it('messages carry the same reasons as the registry verifier (attestor sets, counts, unsigned, registry error)', async () => {
    const bundle = teamBundle();
    const file = write('msg.fixture.yaml', fixtureText('  - {resource: Pod/shop/undeclared, allowed: true}\n'));
    const fixture = parseFixture(parseDocuments(readFileSync(file, 'utf8'), file)[0].doc, file);
    const reports = await evaluateDocuments(toInputs(fixture.documents), bundle, { now: NOW, images: fixtureImageVerifier(fixture.signatures ?? [], bundle, file) });
    const by = (name: string): ResourceReport => reports.find((r) => r.name === name)!;
    expect(by('set-1-short').violations[0].message).toContain(
      `image=${REPO}:1.3.0@${E} is not allowed: signature verification of ${E} failed: attestor set 1: 1 of 2 required attestors verified (key attestor "scanner": not in the fixture's verifiedBy)`,
    );
    expect(by('set-0-missing').violations[0].message).toContain(
      `attestor set 0: 0 of 1 required attestors verified (key attestor "ci-main": not in the fixture's verifiedBy; key attestor "release": not in the fixture's verifiedBy)`,
    );
    expect(by('unsigned').violations[0].message).toContain(`signature verification of ${U} failed: no signatures found for ${U} (unsigned)`);
    expect(by('registry-down').errors.map((e) => e.message)).toEqual([
      `container "app" image=${REPO}:1.6.0: cannot resolve digest: registry unreachable (declared by the fixture)`,
      `container "app" image=${REPO}:1.6.0: signature check failed: registry unreachable (declared by the fixture)`,
    ]);
    expect(by('undeclared').skipped).toEqual([
      { policy: 'shop-signatures', rule: 'signed', reason: `offline: signatures not checked (image not declared in the fixture's signatures): container "app" image=${REPO}:9.9.9` },
    ]);
  });

  it('verifiedBy gives the registry verifier\'s verdict for the same signers (every subset, real signatures)', async () => {
    const rule = teamBundle().policies[0].rules[0];
    if (rule.type !== 'verifyImages') throw new Error('expected the verifyImages rule first');
    const names = Object.keys(keys) as Array<keyof typeof keys>;
    const attestorName: Record<keyof typeof keys, string> = { ciMain: 'ci-main', release: 'release', sbomBot: 'sbom-bot', scanner: 'scanner' };
    const outsider = ecKeyPair();
    const ctx = { roots: new TrustRoots({}), acceptedPredicateTypes: [COSIGN_SIGN_PREDICATE] };
    const summary = (reason: string | undefined) => (reason ?? '').match(/attestor set \d+: \d+ of \d+/g) ?? [];
    let verifiedCount = 0;
    for (let mask = 0; mask < 1 << names.length; mask++) {
      const signers = names.filter((_, i) => (mask & (1 << i)) !== 0);
      const digest = `sha256:${mask.toString(16).padStart(64, '0')}`;
      const payload = simpleSigningPayload(REPO, digest);
      const candidates: LegacySignature[] = (signers.length > 0 ? signers.map((n) => keys[n].privateKey) : [outsider.privateKey]).map((k) => ({
        format: 'legacy',
        source: 'test',
        payload,
        signature: signPayload(k, payload),
      }));
      const real = verifyAttestorSets(rule.attestors, candidates, digest, ctx);
      const declared = parseFixtureSignatures({ [`${REPO}@${digest}`]: { verifiedBy: signers.map((n) => attestorName[n]) } }, 'eq.yaml');
      const fixture = await fixtureImageVerifier(declared, teamBundle(), 'eq.yaml').verify(`${REPO}@${digest}`, rule);
      expect(fixture.verified, signers.join(',')).toBe(real.verified);
      expect(summary(fixture.reason), signers.join(',')).toEqual(summary(real.reason));
      if (real.verified) verifiedCount++;
    }
    expect(verifiedCount).toBe(3); // {ci-main|release|both} × {sbom-bot and scanner}
  });

  it('combineAttestorSets: no count means all entries; a count above the entries means all of them', () => {
    const e = (name: string) => keyAttestor(name, keys.ciMain.publicKeyPem);
    const sets = (count?: number): AttestorSet[] => [{ ...(count !== undefined ? { count } : {}), entries: [e('a'), e('b')] }];
    const only = (ok: string[]) => (x: { name: string }) => (ok.includes(x.name) ? undefined : 'no');
    expect(combineAttestorSets(sets(), only(['a'])).verified).toBe(false);
    expect(combineAttestorSets(sets(1), only(['b']))).toEqual({ verified: true });
    expect(combineAttestorSets(sets(5), only(['a'])).reason).toBe('attestor set 0: 1 of 2 required attestors verified (key attestor "b": no)');
  });
});

describe('PolicyTest signatures: input errors name the fixture file and the image', () => {
  const parse = (signatures: unknown) => () => parseFixtureSignatures(signatures, 'team.fixture.yaml');
  it('validates every entry', () => {
    expect(parse({ [`${REPO}:1.0.0`]: { digest: 'sha256:abc', verifiedBy: [] } })).toThrow(
      `team.fixture.yaml: signatures["${REPO}:1.0.0"]: digest must be sha256:<64 lowercase hex>, not "sha256:abc"`,
    );
    expect(parse({ [`${REPO}:1.0.0`]: { digest: A.toUpperCase().replace('SHA256', 'sha256'), verifiedBy: [] } })).toThrow(/digest must be sha256:<64 lowercase hex>/);
    expect(parse({ [`${REPO}:1.0.0`]: { verifiedBy: ['ci-main'] } })).toThrow(`signatures["${REPO}:1.0.0"]: digest is required`);
    expect(parse({ [`${REPO}:1.0.0`]: { digest: A, verifiedBy: ['ci-main'], unsigned: true } })).toThrow(/give exactly one of verifiedBy, unsigned or error \(got verifiedBy, unsigned\)/);
    expect(parse({ [`${REPO}:1.0.0`]: { digest: A } })).toThrow(/give exactly one of verifiedBy, unsigned or error$/);
    expect(parse({ [`${REPO}:1.0.0`]: { digest: A, unsigned: false } })).toThrow(/unsigned must be true/);
    expect(parse({ [`${REPO}:1.0.0`]: { digest: A, verifiedBy: 'ci-main' } })).toThrow(/verifiedBy must be a list of attestor names/);
    expect(parse({ [`${REPO}:1.0.0`]: { digest: A, verifed: [] } })).toThrow(/unknown field "verifed"/);
    expect(parse({ [REPO]: { digest: A, unsigned: true } })).toThrow(`signatures["${REPO}"]: the key must name a tag (repo:tag) or a digest (repo@sha256:…)`);
    expect(parse({ 'Not An Image': { error: 'x' } })).toThrow(/signatures\["Not An Image"\]: invalid image reference/);
    expect(parse({ [`${REPO}@${A}`]: { digest: B, unsigned: true } })).toThrow(`digest ${B} differs from the key's digest ${A}`);
    expect(parse({ [`${REPO}:1.0.0`]: { digest: A, unsigned: true }, [`${REPO}@${A}`]: { verifiedBy: [] } })).toThrow(
      `team.fixture.yaml: signatures["${REPO}@${A}"] declares ${REPO}@${A} again (already declared by "${REPO}:1.0.0")`,
    );
    expect(parse([])).toThrow(InputError);
    expect(parse({ [`${REPO}:1.6.0`]: { error: 'registry unreachable' } })()).toHaveLength(1);
  });

  it('an attestor name no signature rule of the bundle has is an input error (exit 2 from the binary)', async () => {
    const text = fixtureText('  - {resource: Pod/shop/undeclared, allowed: true}\n').replace('verifiedBy: [ci-main, sbom-bot, scanner]', 'verifiedBy: [ci-mian, sbom-bot, scanner]');
    const file = write('typo.fixture.yaml', text);
    const bundleFile = write('typo-bundle.json', prettyCanonicalJson(teamBundle()));
    await expect(runTest(opts([file], bundleFile))).rejects.toThrow(
      `${file}: signatures["${REPO}:1.0.0"].verifiedBy: unknown attestor "ci-mian" (the bundle's signature rules name: ci-main, release, sbom-bot, scanner)`,
    );
    const r = spawnSync(path.join(ROOT, 'bin/portcullis'), ['test', file, '--bundle', bundleFile], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown attestor "ci-mian"');
  });
});

const available = registryAvailable();
if (!available) registrySkipNotice();

describe.skipIf(!available)('--verify-images: the registry verifier, against the real registry', () => {
  let reg: RunningRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.destroy();
  });

  it('verifies and pins a signed image, denies an unsigned one; without the flag both are skipped', async () => {
    const repo = randomRepo();
    const signed = await pushImage(reg.url, repo, 'v1', `${repo}-signed`);
    await pushLegacySignatures(reg.url, repo, signed.digest, [keyLegacyLayer(keys.ciMain.privateKey, simpleSigningPayload(`${reg.host}/${repo}`, signed.digest))]);
    await pushImage(reg.url, repo, 'v2', `${repo}-unsigned`);
    const rule = verifyRule([{ host: reg.host, insecure: true }], [keySet({ name: 'ci', publicKeyPem: keys.ciMain.publicKeyPem })]);
    const bundleFile = write('registry-bundle.json', prettyCanonicalJson(bundleWith([policyWith(rule)])));
    const files = [write('registry-pods.yaml', `${podYaml('signed', `${reg.host}/${repo}:v1`)}---${podYaml('unsigned', `${reg.host}/${repo}:v2`)}`)];

    const verified = await runTest(opts(files, bundleFile, { verifyImages: true }));
    expect(verified.exitCode).toBe(1);
    const [s, u] = JSON.parse(verified.stdout) as Array<Record<string, any>>;
    expect(s).toMatchObject({ name: 'signed', allowed: true, errors: [], skipped: [], violations: [] });
    expect(s.patches).toEqual([{ op: 'replace', path: '/spec/containers/0/image', value: `${reg.host}/${repo}:v1@${signed.digest}` }]);
    expect(u).toMatchObject({ name: 'unsigned', allowed: false, errors: [], skipped: [] });
    expect(u.violations[0].message).toMatch(/no signatures found for sha256:[0-9a-f]{64} \(unsigned\)/);

    const offline = await runTest(opts(files, bundleFile));
    expect(offline.exitCode).toBe(0);
    const out = JSON.parse(offline.stdout) as Array<Record<string, any>>;
    expect(out.map((x): unknown[] => [x.name, x.allowed, x.patches.length, x.skipped.length])).toEqual([
      ['signed', true, 0, 1],
      ['unsigned', true, 0, 1],
    ]);
  }, 60_000);
});

describe('serve never skips a signature check', () => {
  const OFFLINE_MODULES = ['runtime/cli/offline-images.ts', 'runtime/cli/fixture-images.ts', 'runtime/cli/fixtures.ts'];

  it('cannot load the offline or fixture verifiers: they are not in its module graph (but are in test\'s)', () => {
    const serve = moduleGraph(ROOT, 'runtime/cli/serve-command.ts');
    expect(serve.has('runtime/server/server.ts')).toBe(true);
    expect(serve.has('runtime/images/image-verifier.ts')).toBe(true);
    expect(OFFLINE_MODULES.filter((m) => serve.has(m))).toEqual([]);
    const test = moduleGraph(ROOT, 'runtime/cli/test-command.ts');
    expect(OFFLINE_MODULES.filter((m) => test.has(m))).toEqual(OFFLINE_MODULES);
  });

  it('without a verifier, a signature policy is an evaluation error that failurePolicy decides, never a skip', async () => {
    const h = await startHarness(testBundle());
    try {
      const body = review({ object: pod('web', [{ ...COMPLIANT_CONTAINER, image: '127.0.0.1:1/team/app:1.0' }]) });
      const fail = (await h.post(PATHS.imagesFail, body)).json.response;
      expect(fail.allowed).toBe(false);
      expect(fail.status.message).toContain('evaluation error (not a policy verdict)');
      expect(fail.status.message).toContain('verifyImages needs an image verifier, and none is configured');
      const ignored = (await h.post(PATHS.imagesIgnore, body)).json.response;
      expect(ignored.allowed).toBe(true);
      expect(ignored.warnings[0]).toContain('evaluation error');
      expect(JSON.stringify([fail, ignored])).not.toContain('signatures not checked');
    } finally {
      await h.close();
    }
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON output is inspected loosely */
/**
 * `portcullis test`: argument parsing, input reading (multi-document YAML, Namespace labels, List,
 * AdmissionReview JSON), verdicts and exit codes, JSON output, fixtures, and the real binary.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_API_VERSION, CONTROLLER_TARGETS, POD_TARGET, prettyCanonicalJson, validateBundle, type Bundle } from '../../runtime/bundle';
import { parseFixture } from '../../runtime/cli/fixtures';
import { InputError, parseDocuments, toInputs } from '../../runtime/cli/input';
import { parseTestArgs, runTest, type TestOptions } from '../../runtime/cli/test-command';
import { exemption, policy } from '../engine/fixtures';

const ROOT = path.resolve(__dirname, '../..');
let dir: string;
let bundleFile: string;

const PODS = `
apiVersion: v1
kind: Namespace
metadata: {name: lab, labels: {tier: lab}}
---
apiVersion: v1
kind: Pod
metadata: {name: priv, namespace: apps}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: app
    image: registry.example.com/team/app:1
    securityContext: {privileged: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: lab}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          securityContext: {runAsNonRoot: true}
          containers:
          - name: job
            image: registry.example.com/team/job:1
            securityContext: {privileged: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`;

function bundle(): Bundle {
  const b: Bundle = {
    apiVersion: BUNDLE_API_VERSION,
    kind: 'RuleBundle',
    metadata: { name: 'cli-test', runtimeNamespace: 'portcullis-system' },
    policies: [
      policy({
        rules: policy().rules,
        exemptions: [exemption({ name: 'lab', namespaceSelector: { matchLabels: { tier: 'lab' } }, controls: [{ control: 'privileged' }] })],
      }),
      policy({
        name: 'defaults',
        rules: [
          { name: 'seccomp', type: 'defaultSeccomp', profile: 'RuntimeDefault', target: POD_TARGET },
          { name: 'autogen-cronjob-seccomp', autogenFrom: 'seccomp', type: 'defaultSeccomp', profile: 'RuntimeDefault', target: CONTROLLER_TARGETS.CronJob },
        ],
        controllers: ['CronJob'],
      }),
    ],
    webhooks: [],
    trust: { trustedRoots: {} },
  };
  return validateBundle(b).bundle;
}

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-test-cli-'));
  bundleFile = write('bundle.json', prettyCanonicalJson(bundle()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts = (files: string[], over: Partial<TestOptions> = {}): TestOptions => ({
  files,
  bundle: bundleFile,
  output: 'json',
  now: new Date('2026-06-01T00:00:00Z'),
  offline: true,
  ...over,
});

describe('parseTestArgs', () => {
  it('parses every option', () => {
    const o = parseTestArgs(['a.yaml', '--bundle', 'b.json', '-o', 'json', '--namespace-labels', 'a=1,b=2', '--now', '2026-01-01T00:00:00Z', '--offline']);
    expect(o).toMatchObject({ files: ['a.yaml'], bundle: 'b.json', output: 'json', namespaceLabels: { a: '1', b: '2' }, offline: true });
    expect((o as TestOptions).now.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseTestArgs(['a.yaml', '--policies'])).toMatchObject({ policies: 'policies/main.ts' });
    expect(parseTestArgs(['--policies', 'my/app.ts', 'a.yaml'])).toMatchObject({ policies: 'my/app.ts', files: ['a.yaml'] });
    expect(parseTestArgs(['--help'])).toBe('help');
  });
  it('rejects bad usage', () => {
    expect(() => parseTestArgs([])).toThrow(/no input files/);
    expect(() => parseTestArgs(['a', '--output', 'xml'])).toThrow(/table or json/);
    expect(() => parseTestArgs(['a', '--now', 'yesterday'])).toThrow(/RFC 3339/);
    expect(() => parseTestArgs(['a', '--namespace-labels', 'novalue'])).toThrow(/key=value/);
    expect(() => parseTestArgs(['a', '--bundle', 'x', '--policies'])).toThrow(/not both/);
    expect(() => parseTestArgs(['a', '--frobnicate'])).toThrow(/unknown option/);
  });
});

describe('input', () => {
  it('reads multi-document YAML, expands Lists and takes namespace labels from Namespace documents', () => {
    const docs = parseDocuments(`${PODS}\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: x}, spec: {containers: []}}\n`, 'f.yaml');
    const inputs = toInputs(docs, { namespaceLabels: { extra: 'y' } });
    expect(inputs.map((i) => `${i.kind}/${i.namespace}/${i.name}`)).toEqual(['Pod/apps/priv', 'CronJob/lab/nightly', 'Pod/default/x']);
    expect(inputs[1].input.namespaceLabels).toEqual({ 'kubernetes.io/metadata.name': 'lab', tier: 'lab', extra: 'y' });
    expect(inputs[1].input.resource).toEqual({ group: 'batch', version: 'v1', resource: 'cronjobs' });
    expect(inputs[2].source).toBe('f.yaml#4.items[0]');
  });

  it('reads an AdmissionReview as the API server sent it', () => {
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'abc',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        subResource: 'ephemeralcontainers',
        operation: 'UPDATE',
        namespace: 'apps',
        name: 'p',
        object: { metadata: { name: 'p' }, spec: {} },
        oldObject: { metadata: { name: 'p' }, spec: {} },
        dryRun: true,
      },
    };
    const [doc] = toInputs(parseDocuments(JSON.stringify(review), 'r.json'));
    expect(doc.input).toMatchObject({ uid: 'abc', operation: 'UPDATE', subResource: 'ephemeralcontainers', namespace: 'apps', dryRun: true });
    expect(doc.input.oldObject).toEqual({ metadata: { name: 'p' }, spec: {} });
  });

  it('rejects malformed input with InputError', () => {
    expect(() => parseDocuments('a: [', 'bad.yaml')).toThrow(InputError);
    expect(() => toInputs(parseDocuments('- 1\n- 2\n', 'l.yaml'))).toThrow(InputError);
    expect(() => toInputs(parseDocuments('{"kind": "Pod"}', 'k.json'))).toThrow(/apiVersion and kind/);
  });
});

describe('runTest', () => {
  it('denies (exit 1) on an Enforce violation, applies the namespace-selector exemption, reports JSON per resource', async () => {
    const r = await runTest(opts([write('pods.yaml', PODS)]));
    expect(r.exitCode).toBe(1);
    const out = JSON.parse(r.stdout) as Array<Record<string, any>>;
    expect(out.map((x): unknown[] => [x.kind, x.namespace, x.name, x.allowed])).toEqual([
      ['Pod', 'apps', 'priv', false],
      ['CronJob', 'lab', 'nightly', true],
    ]);
    expect(out[0].violations).toEqual([
      expect.objectContaining({ policy: 'pod-security', rule: 'pss', control: 'privileged', message: expect.stringContaining('container "app"') }),
    ]);
    expect(Object.keys(out[0])).toEqual(['apiVersion', 'kind', 'namespace', 'name', 'source', 'allowed', 'violations', 'warnings', 'exemptions', 'errors', 'skipped', 'patches']);
    // the CronJob had no seccomp profile: the mutation added one and validation saw it
    expect(out[1].patches).toEqual([
      { op: 'add', path: '/spec/jobTemplate/spec/template/spec/securityContext/seccompProfile', value: { type: 'RuntimeDefault' } },
    ]);
  });

  it('exits 0 when everything is admitted, and prints a table by default', async () => {
    const ok = PODS.replace('privileged: true', 'privileged: false');
    const r = await runTest(opts([write('ok.yaml', ok)], { output: 'table' }));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^RESOURCE\s+VERDICT\s+FINDING\s+POLICY\/RULE\s+CONTROL\s+DETAIL/);
    expect(r.stdout).toContain('2 resource(s): 2 allowed, 0 denied');
  });

  it('runs PolicyTest fixtures and fails on an unmet expectation', async () => {
    const fx = (result: string) => `
apiVersion: portcullis.dev/v1alpha1
kind: PolicyTest
metadata: {name: t}
resources: [pods.yaml]
results:
- {resource: Pod/apps/priv, allowed: false, policy: pod-security, rule: pss, result: ${result}, controls: [privileged]}
- {resource: CronJob/lab/nightly, allowed: true, patched: true, policy: pod-security, rule: pss, result: exempt}
`;
    write('pods.yaml', PODS);
    const good = await runTest(opts([write('good.fixture.yaml', fx('fail'))], { output: 'table' }));
    expect(good.stdout).toContain('6 expectation(s): 6 passed, 0 failed');
    expect(good.exitCode).toBe(0);
    const bad = await runTest(opts([write('bad.fixture.yaml', fx('pass'))], { output: 'table' }));
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toContain('FAIL  t  Pod/apps/priv  pod-security/pss result: expected pass, got fail');
  });

  it('reports a missing bundle as an input error', async () => {
    await expect(runTest(opts([write('p.yaml', PODS)], { bundle: path.join(dir, 'nope.json') }))).rejects.toThrow(InputError);
  });
});

describe('fixture format', () => {
  const base = { apiVersion: 'portcullis.dev/v1alpha1', kind: 'PolicyTest', metadata: { name: 'f' } };
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } };
  it('names the offending field', () => {
    expect(() => parseFixture({ ...base, resources: [], results: [] }, 'f.yaml')).toThrow(/resources must list/);
    expect(() => parseFixture({ ...base, resources: [pod], results: [{ resource: 'Pod/p' }] }, 'f.yaml')).toThrow(/expects nothing/);
    expect(() => parseFixture({ ...base, resources: [pod], results: [{ resource: 'Pod/p', result: 'fail' }] }, 'f.yaml')).toThrow(
      /policy and rule go together/,
    );
    expect(() =>
      parseFixture({ ...base, resources: [pod], results: [{ resource: 'Pod/p', policy: 'x', rule: 'y', result: 'denied' }] }, 'f.yaml'),
    ).toThrow(/result must be one of/);
    expect(() => parseFixture({ ...base, resources: [pod], results: [{ resource: 'Pod/p', allowed: true, colour: 1 }] }, 'f.yaml')).toThrow(
      /unknown field "colour"/,
    );
    expect(() => parseFixture({ ...base, now: 'soon', resources: [pod], results: [{ resource: 'Pod/p', allowed: true }] }, 'f.yaml')).toThrow(
      /RFC 3339/,
    );
    expect(() => parseFixture({ ...base, resources: ['missing.yaml'], results: [{ resource: 'Pod/p', allowed: true }] }, 'f.yaml')).toThrow(
      /cannot read missing.yaml/,
    );
  });
});

describe('the portcullis binary', () => {
  const bin = path.join(ROOT, 'bin/portcullis');
  it('prints JSON and exits 1 on denial, 2 on usage errors', () => {
    const r = spawnSync(bin, ['test', write('bin.yaml', PODS), '--bundle', bundleFile, '--output', 'json', '--offline'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(2);
    const u = spawnSync(bin, ['test', '--output', 'yaml', 'x'], { encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toContain('--output must be table or json');
  });

  it('--policies synthesizes the policy app on the fly without touching dist/', () => {
    const r = spawnSync(bin, ['test', write('syn.yaml', PODS), '--policies', '--offline', '--output', 'json'], { encoding: 'utf8', cwd: ROOT });
    expect(r.stderr).toBe('');
    expect([0, 1]).toContain(r.status);
    const out = JSON.parse(r.stdout) as Array<{ kind: string; violations: unknown[]; warnings: unknown[] }>;
    expect(out.map((x) => x.kind)).toEqual(['Pod', 'CronJob']);
    expect(out[0].violations.length + out[0].warnings.length).toBeGreaterThan(0);
  }, 60_000);
});

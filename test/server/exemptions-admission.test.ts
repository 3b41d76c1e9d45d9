/**
 * What an admission answer says about the exemptions it used: a `<policy>.exemptions` audit
 * annotation, a warning only when an exemption expires within 30 days, the `exemptions` field of
 * the admission log line and `portcullis_exemptions_applied_total{policy,exemption}` — in-process
 * (fastify inject, a synthetic bundle and a fixed clock) and over HTTPS with the reference bundle
 * (the network-tools NET_ADMIN exemption).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prettyCanonicalJson, validateBundle, type Bundle, type Exemption } from '../../runtime/bundle';
import type { AppliedExemption } from '../../runtime/engine/types';
import { exemptionAnnotationKey, exemptionAnnotations, expiringExemptionWarnings } from '../../runtime/server/exemption-text';
import { PortcullisServer } from '../../runtime/server/server';
import { podPolicy, validBundle, webhook, withAutogen } from '../helpers/bundles';
import { createTestPki, type TestPki } from '../helpers/tls';
import { pod, review, type ContainerSpec } from './fixtures';
import { startHarness, type Harness } from './harness';

const ROOT = resolve(__dirname, '../..');
const PATH = '/validate/fail-10s-0';
const NOW = new Date('2027-03-21T00:00:00Z');
const IN_10_DAYS = '2027-03-31T00:00:00Z';
const IN_90_DAYS = '2027-06-19T00:00:00Z';

const ex = (name: string, owner: string, expiresAt: string, namespace: string): Exemption => ({
  name,
  owner,
  reason: 'legacy batch jobs without limits (INC-1)',
  expiresAt,
  namespaces: [namespace],
  controls: [{ control: 'requireResources' }],
});

function bundle(): Bundle {
  return validBundle(
    'exemptions-admission',
    [
      podPolicy({
        name: 'resource-limits',
        mode: 'Enforce',
        failurePolicy: 'Fail',
        rules: withAutogen('limits', { type: 'requireResources', limits: ['cpu'], requests: [] }),
        exemptions: [ex('batch-soon', 'team-batch', IN_10_DAYS, 'batch'), ex('batch-later', 'team-data', IN_90_DAYS, 'data')],
      }),
    ],
    [webhook({ path: PATH, type: 'validating', failurePolicy: 'Fail', policies: ['resource-limits'] })],
  );
}

const noLimits: ContainerSpec = { name: 'app', image: 'registry.example.com/team/app:1' };
const withLimits: ContainerSpec = { ...noLimits, resources: { limits: { cpu: '1' } } };

/** `labels → value` of one metric in a scrape. */
function samples(text: string, metric: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${metric}\\{(.*)\\} (\\S+)$`).exec(line);
    if (m !== null) out[m[1]] = Number(m[2]);
  }
  return out;
}

let pki: TestPki;
let dir: string;
beforeAll(() => {
  pki = createTestPki();
  dir = mkdtempSync(join(tmpdir(), 'portcullis-exemptions-admission-'));
});
afterAll(() => {
  pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('admission answers that used an exemption (inject)', () => {
  let server: PortcullisServer;
  beforeAll(() => {
    const bundlePath = join(dir, 'bundle.json');
    writeFileSync(bundlePath, prettyCanonicalJson(bundle()));
    server = new PortcullisServer({ bundlePath, tlsCertPath: pki.certPath, tlsKeyPath: pki.keyPath, logger: false, watch: false, now: () => NOW });
    expect(server.reloadBundle().status).toBe('loaded');
  });
  afterAll(async () => {
    await server.app.close();
  });
  const post = async (object: Record<string, unknown>, dryRun = false) =>
    (await server.app.inject({ method: 'POST', url: PATH, payload: review({ object, dryRun }) })).json().response as Record<string, unknown>;
  const applied = async () => samples((await server.app.inject({ url: '/metrics' })).body, 'portcullis_exemptions_applied_total');

  it('an exemption expiring in 10 days: allowed, audit annotation, and a warning to renew it', async () => {
    const res = await post(pod('job', [noLimits], 'batch'));
    expect(res.allowed).toBe(true);
    expect(res.auditAnnotations).toEqual({
      'resource-limits.exemptions': `batch-soon (owner team-batch, expires ${IN_10_DAYS}): limits/requireResources`,
    });
    expect(res.warnings).toEqual([`exemption batch-soon of policy resource-limits expires on ${IN_10_DAYS} (in 10 days); renew it through review`]);
  });

  it('an exemption expiring in 90 days: the audit annotation, no warning', async () => {
    const res = await post(pod('job', [noLimits], 'data'));
    expect(res.allowed).toBe(true);
    expect(res.auditAnnotations).toEqual({ 'resource-limits.exemptions': `batch-later (owner team-data, expires ${IN_90_DAYS}): limits/requireResources` });
    expect(res.warnings).toBeUndefined();
  });

  it('nothing about exemptions when none applied (compliant, or out of its scope: denied)', async () => {
    expect(await post(pod('job', [withLimits], 'batch'))).toEqual({ uid: expect.any(String), allowed: true });
    const denied = await post(pod('job', [noLimits], 'payments'));
    expect(denied.allowed).toBe(false);
    expect(denied.auditAnnotations).toBeUndefined();
    expect(denied.warnings).toBeUndefined();
  });

  it('counts portcullis_exemptions_applied_total{policy,exemption} once per review, not for dry runs', async () => {
    const before = await applied();
    await post(deploymentOf(pod('job', [noLimits, { ...noLimits, name: 'second' }], 'batch')));
    await post(pod('job', [noLimits], 'batch'), true);
    const after = await applied();
    const key = 'policy="resource-limits",exemption="batch-soon"';
    expect((after[key] ?? 0) - (before[key] ?? 0)).toBe(1);
    expect(Object.keys(after).every((k) => /^policy="resource-limits",exemption="batch-(soon|later)"$/.test(k))).toBe(true);
    expect((await server.app.inject({ url: '/metrics' })).body).toContain('# TYPE portcullis_exemptions_applied_total counter');
  });
});

function deploymentOf(p: Record<string, unknown>): Record<string, unknown> {
  const meta = p.metadata as { name: string; namespace: string; labels: Record<string, string> };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: meta.name, namespace: meta.namespace },
    spec: { selector: { matchLabels: meta.labels }, template: { metadata: { labels: meta.labels }, spec: p.spec } },
  };
}

describe('the reference network-tools exemption over HTTPS', () => {
  let h: Harness;
  let clock = NOW;
  const ref = validateBundle(JSON.parse(readFileSync(resolve(ROOT, 'dist/portcullis-bundle.json'), 'utf8'))).bundle;
  const validate = ref.webhooks.find((w) => w.type === 'validating' && w.policies.includes('pod-security'))!.path;
  const netTools = exemptionOf(ref, 'pod-security', 'network-tools');
  beforeAll(async () => {
    h = await startHarness(ref, { now: () => clock });
  });
  afterAll(async () => {
    await h.close();
  });
  const tcpdump = (): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'tcpdump', namespace: 'platform-network', labels: { app: 'tcpdump' } },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'tcpdump',
          image: 'registry.payments.example.com/platform/network-tools:2.1',
          resources: { limits: { cpu: '100m', memory: '64Mi' }, requests: { cpu: '50m', memory: '32Mi' } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } },
        },
      ],
    },
  });

  it('carries the exemption in its audit annotation and log line, and warns 10 days before expiry', async () => {
    expect(netTools.expiresAt).toBe('2027-03-31T00:00:00Z');
    clock = new Date(Date.parse(netTools.expiresAt!) - 10 * 86_400_000);
    const body = review({ object: tcpdump() });
    const res = (await h.post(validate, body)).json.response;
    expect(res.allowed).toBe(true);
    const label = `network-tools (owner ${netTools.owner}, expires ${netTools.expiresAt})`;
    expect(res.auditAnnotations['pod-security.exemptions']).toBe(`${label}: restricted/capabilities_restricted`);
    expect(res.auditAnnotations['pod-security']).toBeUndefined(); // no Audit finding of pod-security is left
    expect(res.warnings).toContain(`exemption network-tools of policy pod-security expires on ${netTools.expiresAt} (in 10 days); renew it through review`);
    const [line] = await h.admissionLogs(body.request.uid);
    expect(line.exemptions).toEqual(['pod-security/network-tools']);
    expect(line.warnings ?? []).not.toContainEqual(expect.stringMatching(/^pod-security\//));
    const metrics = samples((await h.get('/metrics')).text, 'portcullis_exemptions_applied_total');
    expect(metrics['policy="pod-security",exemption="network-tools"']).toBe(1);
  });

  it('90 days before expiry: annotation and log field, no warning about the exemption', async () => {
    clock = new Date(Date.parse(netTools.expiresAt!) - 90 * 86_400_000);
    const body = review({ object: tcpdump() });
    const res = (await h.post(validate, body)).json.response;
    expect(res.auditAnnotations['pod-security.exemptions']).toContain('network-tools (owner');
    expect((res.warnings ?? []).filter((w: string) => w.includes('network-tools'))).toEqual([]);
    const [line] = await h.admissionLogs(body.request.uid);
    expect(line.exemptions).toEqual(['pod-security/network-tools']);
  });

  it('a compliant pod: no exemptions field in the log line', async () => {
    const clean = tcpdump();
    const c = (clean.spec as { containers: Array<{ securityContext: Record<string, unknown> }> }).containers[0];
    c.securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
    const body = review({ object: clean });
    const res = (await h.post(validate, body)).json.response;
    expect(res.auditAnnotations?.['pod-security.exemptions']).toBeUndefined();
    const [line] = await h.admissionLogs(body.request.uid);
    expect(line).not.toHaveProperty('exemptions');
  });
});

function exemptionOf(b: Bundle, policy: string, name: string): Exemption {
  const e = b.policies.find((p) => p.name === policy)?.exemptions.find((x) => x.name === name);
  if (e === undefined) throw new Error(`${policy}/${name} not in the reference bundle`);
  return e;
}

describe('exemption-text', () => {
  const e = ex('batch-soon', 'team-batch', IN_10_DAYS, 'batch');
  const use = (over: Partial<AppliedExemption> = {}): AppliedExemption => ({
    policy: 'resource-limits',
    rule: 'limits',
    ruleType: 'requireResources',
    exemption: e,
    controls: ['requireResources'],
    relieved: 1,
    partial: 0,
    ...over,
  });

  it('keys are valid qualified names: a policy name too long for 63 characters is cut and named in the value', () => {
    const long = `p${'x'.repeat(61)}`; // 62 characters, the most a DNS label policy name leaves room for here
    expect(exemptionAnnotationKey('pod-security')).toBe('pod-security.exemptions');
    const key = exemptionAnnotationKey(long);
    expect(key.length).toBe(63);
    expect(key).toMatch(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/);
    expect(exemptionAnnotations([use({ policy: long })])[key]).toBe(`${long}: batch-soon (owner team-batch, expires ${IN_10_DAYS}): limits/requireResources`);
  });

  it('marks a rule it relieved only partly, joins several exemptions of a policy, and warns only within 30 days', () => {
    const other: Exemption = { ...e, name: 'forever', expiresAt: undefined };
    const notes = exemptionAnnotations([use({ relieved: 0, partial: 1 }), use({ exemption: other })]);
    expect(notes).toEqual({
      'resource-limits.exemptions': `batch-soon (owner team-batch, expires ${IN_10_DAYS}): limits/requireResources (partly); forever (owner team-batch, never expires): limits/requireResources`,
    });
    expect(expiringExemptionWarnings([use(), use({ exemption: other })], new Date('2027-03-30T12:00:00Z'))).toEqual([
      `exemption batch-soon of policy resource-limits expires on ${IN_10_DAYS} (within a day); renew it through review`,
    ]);
    expect(expiringExemptionWarnings([use()], new Date('2027-02-28T00:00:00Z'))).toEqual([]); // 31 days
  });
});

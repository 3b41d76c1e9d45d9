/**
 * The reference policy set (dist/portcullis-bundle.json, synthesized from policies/) over realistic
 * good and bad workloads, through evaluateOffline: mutate (resource defaults, seccomp default),
 * apply the patches, validate — exactly the API server's order. Asserts each workload's verdict,
 * the patches, and which policy/rule/control reports what.
 *
 * image-signatures (verifyImages) and image-provenance (verifyAttestations) are left out here: they
 * need a registry holding signed images and attestations and are covered by the image tests. Everything else in the set runs together.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundle, type Policy } from '../../../runtime/bundle';
import { evaluateOffline, type OfflineResult } from '../../../runtime/engine/evaluate';
import { getPointer } from '../../../runtime/engine/pod-view';
import { checkImageGlob } from '../../../runtime/engine/image-ref';
import { checkPattern } from '../../../runtime/engine/safe-regex';
import { normalizeHostPath } from '../../../runtime/engine/host-path';
import { parseQuantity } from '../../../runtime/engine/quantity';
import type { AdmissionInput, EvaluationContext, Violation } from '../../../runtime/engine/types';

const bundlePath = path.resolve(__dirname, '../../../dist/portcullis-bundle.json');
const loaded = loadBundle(readFileSync(bundlePath));
const referencePolicies = loaded.bundle.policies.filter((p) => p.name !== 'image-signatures' && p.name !== 'image-provenance');
/** The same set with every policy flipped to Enforce: what the cluster will do after the Audit period. */
const enforcedPolicies: Policy[] = referencePolicies.map((p) => ({ ...p, mode: 'Enforce' }));

const context: EvaluationContext = { now: new Date('2026-12-01T00:00:00Z'), excludedNamespaces: [loaded.bundle.metadata.runtimeNamespace] };
const PRODUCTION = { 'payments.example.com/environment': 'production' };
const DIGEST = `sha256:${'ab12'.repeat(16)}`;
const TEAM_IMAGE = `registry.payments.example.com/payments/api:1.4.2@${DIGEST}`;
const LABELS = { owner: 'alice', team: 'payments', version: '1.4.2', environment: 'production' };

/** A container that meets the restricted profile; resources are left to the defaults. */
function container(name: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    image: TEAM_IMAGE,
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
    ...over,
  };
}

function deployment(spec: Record<string, unknown>, labels: Record<string, string> = LABELS, name = 'api'): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name, ...labels } }, spec } },
  };
}

const GVK: Record<string, { group: string; version: string; resource: string }> = {
  Pod: { group: '', version: 'v1', resource: 'pods' },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments' },
  DaemonSet: { group: 'apps', version: 'v1', resource: 'daemonsets' },
  CronJob: { group: 'batch', version: 'v1', resource: 'cronjobs' },
};

function admit(
  object: Record<string, unknown>,
  namespace = 'payments',
  namespaceLabels: Record<string, string> = PRODUCTION,
  policies: readonly Policy[] = referencePolicies,
): Promise<OfflineResult> {
  const kind = object.kind as string;
  const gvr = GVK[kind];
  const input: AdmissionInput = {
    uid: `uid-${kind}`,
    kind: { group: gvr.group, version: gvr.version, kind },
    resource: gvr,
    operation: 'CREATE',
    namespace,
    object: { ...object, metadata: { ...(object.metadata as object), namespace } },
    namespaceLabels,
  };
  return evaluateOffline(input, policies, context);
}

/** `policy/rule control` for each reported violation or warning, for compact assertions. */
function reported(list: Violation[]): string[] {
  return list.map((v) => `${v.policy}/${v.rule} ${v.control}${v.container ? ` ${v.container}` : ''}`);
}

describe('reference policy set: the rules this issue adds are well-formed for the engine', () => {
  it('globs, label patterns, host paths and quantities in the bundle are all accepted', () => {
    const rules = loaded.bundle.policies.flatMap((p) => p.rules);
    const seen = new Set<string>();
    for (const r of rules) {
      seen.add(r.type);
      if (r.type === 'allowedRegistries') for (const g of r.allowed) expect(checkImageGlob(g), g).toBeUndefined();
      if (r.type === 'requireLabels') {
        expect(r.labels.map((l) => l.key)).toEqual(['owner', 'team', 'version', 'environment']);
        for (const l of r.labels) if (l.valuePattern !== undefined) expect(checkPattern(l.valuePattern), l.valuePattern).toBeUndefined();
      }
      if (r.type === 'hostPaths') for (const a of r.allowed) expect(normalizeHostPath(a.pathPrefix), a.pathPrefix).toBeDefined();
      if (r.type === 'denyRuntimeSocket') for (const s of r.sockets) expect(normalizeHostPath(s), s).toBe(s);
      if (r.type === 'defaultResources') {
        for (const v of [...Object.values(r.requests), ...Object.values(r.limits)]) expect(parseQuantity(v).ok, v).toBe(true);
      }
    }
    expect([...seen].sort()).toEqual(
      [
        'allowedRegistries',
        'defaultResources',
        'defaultSeccomp',
        'denyRuntimeSocket',
        'disallowLatestTag',
        'hostNamespaces',
        'hostPaths',
        'podSecurity',
        'requireDigest',
        'requireLabels',
        'requireResources',
        'verifyAttestations',
        'verifyImages',
      ].sort(),
    );
  });
});

describe('reference policy set: good workloads', () => {
  it('a compliant Deployment is admitted with no warnings and left as written; its Pods get the defaults', async () => {
    const d = deployment({ containers: [container('api')] });
    const r = await admit(d);
    expect(r.mutation.errors).toEqual([]);
    expect(r.validation.errors).toEqual([]);
    expect(reported(r.validation.warnings)).toEqual([]);
    expect(r.allowed).toBe(true);
    // No drift for GitOps: the template is not rewritten (mutateControllers is off in the reference set) …
    expect(r.mutation.patches).toEqual([]);
    // … and the Pods it creates are defaulted at creation.
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api-7d9f-x2k4p', labels: LABELS }, spec: (d.spec as { template: { spec: unknown } }).template.spec };
    const p = await admit(pod);
    expect(p.mutation.patches.map((o) => o.path)).toEqual(['/spec/containers/0/resources', '/spec/securityContext']);
    expect(getPointer(p.patched, '/spec/containers/0/resources')).toEqual({ limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(getPointer(p.patched, '/spec/securityContext')).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
    expect(p.allowed).toBe(true);
  });

  it('the same Deployment passes with every policy in Enforce', async () => {
    const r = await admit(deployment({ containers: [container('api')] }), 'payments', PRODUCTION, enforcedPolicies);
    expect(r.validation.violations).toEqual([]);
    expect(r.allowed).toBe(true);
  });

  it('a container that only sets a 50m cpu limit gets a 50m request, not 100m', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api', labels: LABELS }, spec: { containers: [container('api', { resources: { limits: { cpu: '50m' } } })] } };
    const r = await admit(pod, 'payments', PRODUCTION, enforcedPolicies);
    expect(getPointer(r.patched, '/spec/containers/0/resources')).toEqual({ limits: { cpu: '50m', memory: '512Mi' }, requests: { cpu: '50m', memory: '128Mi' } });
    expect(r.allowed).toBe(true);
  });

  it('the node log collector DaemonSet mounts /var/log read-only under its exemption', async () => {
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'log-collector', labels: { 'app.kubernetes.io/name': 'log-collector' } },
      spec: {
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': 'log-collector', ...LABELS } },
          spec: {
            volumes: [{ name: 'logs', hostPath: { path: '/var/log/' } }],
            containers: [container('collector', { volumeMounts: [{ name: 'logs', mountPath: '/logs', readOnly: true }] })],
          },
        },
      },
    };
    const r = await admit(ds, 'observability', PRODUCTION, enforcedPolicies);
    expect(reported(r.validation.violations)).toEqual([]);
    expect(r.allowed).toBe(true);

    // Writable: the hostPaths rule catches it although Pod Security is exempted.
    const writable = structuredClone(ds);
    writable.spec.template.spec.containers[0].volumeMounts = [{ name: 'logs', mountPath: '/logs', readOnly: false }];
    const w = await admit(writable, 'observability', PRODUCTION, enforcedPolicies);
    expect(reported(w.validation.violations)).toEqual(['host-isolation/approved-host-paths hostPaths collector']);
    expect(w.allowed).toBe(false);
  });

  it('required labels only apply in production namespaces', async () => {
    const r = await admit(deployment({ containers: [container('api')] }, {}), 'sandbox', {}, enforcedPolicies);
    expect(reported(r.validation.violations)).toEqual([]);
    const prod = await admit(deployment({ containers: [container('api')] }, {}), 'payments', PRODUCTION, enforcedPolicies);
    expect(reported(prod.validation.violations)).toEqual([
      'required-labels/ownership-labels requireLabels',
      'required-labels/ownership-labels requireLabels',
      'required-labels/ownership-labels requireLabels',
      'required-labels/ownership-labels requireLabels',
    ]);
  });

  it('kube-system and the runtime namespace are never evaluated', async () => {
    for (const ns of ['kube-system', 'portcullis-system']) {
      const r = await admit(deployment({ hostPID: true, containers: [container('x', { image: 'nginx' })] }), ns, PRODUCTION, enforcedPolicies);
      expect(r.mutation.patches).toEqual([]);
      expect(r.validation.violations).toEqual([]);
      expect(r.allowed).toBe(true);
    }
  });
});

describe('reference policy set: bad workloads', () => {
  const bad = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'ci-runner', labels: { owner: 'bob', team: 'Payments Team', version: 'latest', environment: 'prod' } },
    spec: {
      hostPID: true,
      volumes: [{ name: 'sock', hostPath: { path: '/var/log/../run/docker.sock' } }],
      containers: [
        container('runner', {
          image: 'docker:latest',
          resources: { limits: {} },
          volumeMounts: [{ name: 'sock', mountPath: '/var/run/docker.sock' }],
        }),
      ],
    },
  };
  const expected = [
    'resource-limits/limits-required requireResources runner',
    'pod-security/restricted hostNamespaces',
    'pod-security/restricted restrictedVolumes', // restricted's volume check supersedes baseline's hostPathVolumes
    'image-references/team-registry-only allowedRegistries runner',
    'image-references/digest-only requireDigest runner',
    'image-references/no-latest disallowLatestTag runner',
    'host-isolation/approved-host-paths hostPaths',
    'host-isolation/no-runtime-socket denyRuntimeSocket',
    'host-isolation/no-host-namespaces hostNamespaces',
    'required-labels/ownership-labels requireLabels',
    'required-labels/ownership-labels requireLabels',
    'required-labels/ownership-labels requireLabels',
  ];

  it('in the shipped modes (Audit) it is admitted with one warning per violation', async () => {
    const r = await admit(bad);
    expect(r.allowed).toBe(true);
    expect(r.validation.violations).toEqual([]);
    expect(reported(r.validation.warnings).sort()).toEqual([...expected].sort());
    // limits: {} was not papered over by the defaults; requests were filled in.
    expect(getPointer(r.patched, '/spec/containers/0/resources')).toEqual({ limits: {}, requests: { cpu: '100m', memory: '128Mi' } });
    const messages = r.validation.warnings.map((w) => w.message);
    expect(messages).toContain(
      '[host-isolation/approved-host-paths] hostPaths: volume "sock" hostPath.path=/var/log/../run/docker.sock (normalized /var/run/docker.sock) is not allowed: it is outside the allowed host paths (allowed: /var/log (read-only)). To request an exemption: https://github.com/payments-example/platform-policies/issues/new?template=exemption.md',
    );
    expect(messages.some((m) => m.startsWith('[resource-limits/limits-required] requireResources: container "runner" has no cpu and memory limit (resources.limits is explicitly empty)'))).toBe(true);
  });

  it('with every policy in Enforce it is denied, naming every violation', async () => {
    const r = await admit(bad, 'payments', PRODUCTION, enforcedPolicies);
    expect(r.allowed).toBe(false);
    expect(reported(r.validation.violations).sort()).toEqual([...expected].sort());
  });

  it('a lookalike registry host is not the team registry', async () => {
    const image = `registry.payments.example.com.evil.io/payments/api:1.4.2@${DIGEST}`;
    const r = await admit(deployment({ containers: [container('api', { image })] }), 'payments', PRODUCTION, enforcedPolicies);
    expect(reported(r.validation.violations)).toEqual(['image-references/team-registry-only allowedRegistries api']);
  });

  it('an explicit over-the-top or malformed limit is still judged after defaulting', async () => {
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'report' },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: {
          spec: {
            template: {
              metadata: { labels: LABELS },
              spec: { restartPolicy: 'Never', containers: [container('report', { resources: { limits: { memory: '2 Gi' } } })] },
            },
          },
        },
      },
    };
    const r = await admit(cron, 'payments', PRODUCTION, enforcedPolicies);
    // The template is left as written and judged as its Pods will be after the defaults: the cpu
    // limit they get passes, the malformed memory limit (which the defaults leave alone) fails.
    expect(r.mutation.patches).toEqual([]);
    expect(r.validation.violations.map((v) => [v.rule, v.field])).toEqual([
      ['limits-required', 'spec.jobTemplate.spec.template.spec.containers[0].resources.limits.memory'],
    ]);
    expect(r.allowed).toBe(false);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'report', labels: LABELS }, spec: cron.spec.jobTemplate.spec.template.spec };
    const p = await admit(pod, 'payments', PRODUCTION, enforcedPolicies);
    expect(getPointer(p.patched, '/spec/containers/0/resources/limits')).toEqual({ memory: '2 Gi', cpu: '500m' });
    expect(getPointer(p.patched, '/spec/containers/0/resources/requests')).toEqual({ cpu: '100m' }); // memory request not defaulted next to a malformed limit
    expect(p.validation.violations.map((v) => [v.rule, v.field])).toEqual([['limits-required', 'spec.containers[0].resources.limits.memory']]);
  });

  it('an explicit Unconfined seccomp profile is kept by the default and caught by Pod Security', async () => {
    const d = deployment({ securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [container('api')] });
    const r = await admit(d, 'payments', PRODUCTION, enforcedPolicies);
    expect(r.mutation.patches).toEqual([]);
    expect(r.validation.violations.length).toBeGreaterThan(0);
    expect(new Set(r.validation.violations.map((v) => `${v.policy} ${v.control}`))).toEqual(new Set(['pod-security seccompProfile_restricted']));
  });
});

/**
 * Controllers judged as their Pods will be (runtime/engine/pod-defaults-relief.ts): the defaults
 * mutate Pods only (controller templates only with mutateControllers), and validating a controller
 * judges its template after the Pod defaults that will certainly run — Enforce defaults whose policy
 * matches the template's Pods — and only for rules whose Pod rule backs them up. Bundles are built
 * with the real constructs (autogen included), evaluated with the engine.
 */
import { describe, expect, it } from 'vitest';
import { DefaultResources, DefaultSeccomp, PodSecurity, Policy, RequireResources, type PolicyProps } from '../../constructs';
import type { Policy as BundlePolicy } from '../../runtime/bundle';
import { evaluate, evaluateOffline } from '../../runtime/engine/evaluate';
import type { AdmissionInput, EvaluationContext } from '../../runtime/engine/types';
import { newApp } from '../constructs/helpers';

const NOW = new Date('2026-06-01T00:00:00Z');

interface Setup {
  defaults?: PolicyProps & { mutateControllers?: boolean; limits?: { cpu?: string; memory?: string } };
  seccomp?: PolicyProps;
  limits?: PolicyProps & { maxLimits?: { cpu?: string; memory?: string } };
  podSecurity?: PolicyProps;
}

/** A bundle's policies, synthesized from constructs: resource defaults, seccomp default, limits, restricted PSS. */
function bundle(s: Setup): BundlePolicy[] {
  const app = newApp();
  if (s.defaults !== undefined) {
    const { mutateControllers, limits, ...props } = s.defaults;
    const p = new Policy(app, 'resource-defaults', { mode: 'Enforce', failurePolicy: 'Ignore', ...props });
    new DefaultResources(p, 'defaults', {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: limits ?? { cpu: '500m', memory: '512Mi' },
      ...(mutateControllers === undefined ? {} : { mutateControllers }),
    });
  }
  if (s.seccomp !== undefined) {
    const p = new Policy(app, 'seccomp-default', { mode: 'Enforce', failurePolicy: 'Ignore', ...s.seccomp });
    new DefaultSeccomp(p, 'runtime-default');
  }
  if (s.limits !== undefined) {
    const { maxLimits, ...props } = s.limits;
    const p = new Policy(app, 'resource-limits', { mode: 'Enforce', ...props });
    new RequireResources(p, 'limits-required', maxLimits === undefined ? {} : { maxLimits });
  }
  if (s.podSecurity !== undefined) {
    const p = new Policy(app, 'pod-security', { mode: 'Enforce', ...s.podSecurity });
    new PodSecurity(p, 'restricted', { level: 'restricted', version: 'latest' });
  }
  return app.build().bundle.policies;
}

/**
 * The same bundle with the named defaulting policy in Audit. Synth refuses that (a default goes in
 * or not), but the engine must stay safe with any valid bundle: Audit defaults never relieve.
 */
function withAuditDefaults(policies: BundlePolicy[], name: string): BundlePolicy[] {
  return policies.map((p) => (p.name === name ? { ...p, mode: 'Audit' } : p));
}

const IMAGE = `registry.example.com/team/api@sha256:${'ab'.repeat(32)}`;

/** A container that meets the restricted profile except for seccomp, and declares no resources. */
function container(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'app',
    image: IMAGE,
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
    ...over,
  };
}

function deployment(spec: Record<string, unknown>, labels: Record<string, string> = { app: 'api' }): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'team-a' },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec } },
  };
}

function cronJob(spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'team-a' },
    spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { metadata: {}, spec } } } },
  };
}

const RESOURCES: Record<string, { group: string; resource: string }> = {
  Deployment: { group: 'apps', resource: 'deployments' },
  CronJob: { group: 'batch', resource: 'cronjobs' },
  Pod: { group: '', resource: 'pods' },
};

function request(object: Record<string, unknown>, extra: Partial<AdmissionInput> = {}): AdmissionInput {
  const kind = object.kind as string;
  const { group, resource } = RESOURCES[kind];
  return {
    uid: 'u1',
    kind: { group, version: 'v1', kind },
    resource: { group, version: 'v1', resource },
    operation: 'CREATE',
    namespace: 'team-a',
    object,
    ...extra,
  };
}

const context: EvaluationContext = { now: NOW, excludedNamespaces: ['portcullis-system'] };

/** The validating webhook's view: the validating policies serve the path, the whole bundle gives the Pod defaults. */
async function validateAsServer(policies: BundlePolicy[], object: Record<string, unknown>, extra: Partial<AdmissionInput> = {}) {
  const validating = policies.filter((p) => p.name === 'resource-limits' || p.name === 'pod-security');
  return evaluate('validate', request(object, extra), validating, { ...context, podDefaults: policies });
}

const noLimits = deployment({ containers: [container()] });

describe('controllers are judged after the Pod defaults their Pods will receive', () => {
  it('a Deployment without limits is admitted when Enforce defaults cover it, and no patch is emitted', async () => {
    const policies = bundle({ defaults: {}, limits: {} });
    const before = structuredClone(noLimits);
    const d = await validateAsServer(policies, noLimits);
    expect(d.violations).toEqual([]);
    expect(d.allowed).toBe(true);
    expect(d.patches).toEqual([]);
    expect(noLimits).toEqual(before);
    expect(d.results).toContainEqual({ policy: 'resource-limits', rule: 'limits-required', ruleType: 'requireResources', result: 'pass' });
  });

  it('without the bundle (no podDefaults) the template is judged as written', async () => {
    const policies = bundle({ defaults: {}, limits: {} });
    const d = await evaluate('validate', request(noLimits), policies, context);
    expect(d.allowed).toBe(false);
    expect(d.violations.map((v) => v.message)).toEqual([expect.stringContaining('has no cpu and memory limit')]);
  });

  it('Audit-mode defaults do not relieve', async () => {
    const d = await validateAsServer(withAuditDefaults(bundle({ defaults: {}, limits: {} }), 'resource-defaults'), noLimits);
    expect(d.allowed).toBe(false);
    expect(d.violations.map((v) => `${v.policy}/${v.rule}`)).toEqual(['resource-limits/limits-required']);
  });

  it('a defaults policy that excludes the namespace (or does not match it) does not relieve', async () => {
    const excluded = await validateAsServer(bundle({ defaults: { exclude: { namespaces: ['team-a'] } }, limits: {} }), noLimits);
    expect(excluded.allowed).toBe(false);
    const elsewhere = await validateAsServer(bundle({ defaults: { match: { namespaces: ['team-b'] } }, limits: {} }), noLimits);
    expect(elsewhere.allowed).toBe(false);
    const here = await validateAsServer(bundle({ defaults: { match: { namespaces: ['team-a'] } }, limits: {} }), noLimits);
    expect(here.allowed).toBe(true);
  });

  it("a defaults policy's object selector is judged on the template's labels (the Pods' labels)", async () => {
    const policies = bundle({ defaults: { match: { objectSelector: { matchLabels: { defaults: 'on' } } } }, limits: {} });
    expect((await validateAsServer(policies, deployment({ containers: [container()] }, { app: 'api', defaults: 'on' }))).allowed).toBe(true);
    expect((await validateAsServer(policies, deployment({ containers: [container()] }, { app: 'api' }))).allowed).toBe(false);
  });

  it('a selector on labels controllers add to their Pods cannot be judged from the template: no relief', async () => {
    const policies = bundle({ defaults: { exclude: { objectSelector: { matchExpressions: [{ key: 'job-name', operator: 'Exists' }] } } }, limits: {} });
    expect((await validateAsServer(policies, noLimits)).allowed).toBe(false);
  });

  it('a namespace selector relieves only where the namespace labels are known (offline), not in admission', async () => {
    const policies = bundle({ defaults: { match: { namespaceSelector: { matchLabels: { env: 'prod' } } } }, limits: {} });
    expect((await validateAsServer(policies, noLimits)).allowed).toBe(false);
    expect((await validateAsServer(policies, noLimits, { namespaceLabels: { env: 'prod' } })).allowed).toBe(true);
    expect((await validateAsServer(policies, noLimits, { namespaceLabels: { env: 'dev' } })).allowed).toBe(false);
  });

  it('a validating policy without the Pod rule (controllers only) has no backstop: no relief', async () => {
    const policies = bundle({ defaults: {}, limits: { match: { kinds: ['Deployment'] } } });
    const d = await validateAsServer(policies, noLimits);
    expect(d.allowed).toBe(false);
  });

  it('explicit limits above the ceiling are still denied; defaults above it are denied and the message says where the value came from', async () => {
    const policies = bundle({ defaults: {}, limits: { maxLimits: { cpu: '2' } } });
    const tooBig = deployment({ containers: [container({ resources: { limits: { cpu: '4', memory: '1Gi' } } })] });
    const big = await validateAsServer(policies, tooBig);
    expect(big.allowed).toBe(false);
    expect(big.violations.map((v) => v.message)).toEqual([expect.stringContaining('resources.limits.cpu=4 is not allowed: it exceeds the ceiling 2')]);
    expect(big.violations[0].message).not.toContain('Pod defaults');

    const tight = bundle({ defaults: {}, limits: { maxLimits: { cpu: '250m' } } });
    const defaulted = await validateAsServer(tight, noLimits);
    expect(defaulted.allowed).toBe(false);
    expect(defaulted.violations.map((v) => v.message)).toEqual([
      expect.stringContaining('resources.limits.cpu=500m is not allowed: it exceeds the ceiling 250m (judged as its Pods will be after the Pod defaults of "resource-defaults")'),
    ]);
  });

  it('an explicit empty limits map stays the author\'s choice: still denied', async () => {
    const d = await validateAsServer(bundle({ defaults: {}, limits: {} }), deployment({ containers: [container({ resources: { limits: {} } })] }));
    expect(d.allowed).toBe(false);
  });

  it("pod-security's seccomp check is relieved by an Enforce seccomp default, not without one", async () => {
    const withDefault = await validateAsServer(bundle({ seccomp: {}, podSecurity: {} }), noLimits);
    expect(withDefault.violations).toEqual([]);
    const without = await validateAsServer(withAuditDefaults(bundle({ seccomp: {}, podSecurity: {} }), 'seccomp-default'), noLimits);
    expect(without.violations.map((v) => v.control)).toEqual(['seccompProfile_restricted']);
  });

  it('CronJob templates (a different template path) are relieved too', async () => {
    const d = await validateAsServer(bundle({ defaults: {}, seccomp: {}, limits: {}, podSecurity: {} }), cronJob({ containers: [container()], restartPolicy: 'Never' }));
    expect(d.violations).toEqual([]);
  });
});

describe('controller templates are mutated only when opted in', () => {
  it('by default the mutation phase emits no patch on a Deployment (and still defaults Pods)', async () => {
    const policies = bundle({ defaults: {}, seccomp: {} });
    const d = await evaluate('mutate', request(noLimits), policies, context);
    expect(d.patches).toEqual([]);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'team-a' }, spec: { containers: [container()] } };
    const p = await evaluate('mutate', request(pod), policies, context);
    expect(p.patches.map((o) => o.path)).toEqual(['/spec/containers/0/resources', '/spec/securityContext']);
  });

  it('with mutateControllers the Deployment template is patched, and validation then needs no relief', async () => {
    const policies = bundle({ defaults: { mutateControllers: true }, limits: {} });
    const d = await evaluate('mutate', request(noLimits), policies, context);
    expect(d.patches).toEqual([
      {
        op: 'add',
        path: '/spec/template/spec/containers/0/resources',
        value: { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
      },
    ]);
    const offline = await evaluateOffline(request(noLimits), policies, context);
    expect(offline.allowed).toBe(true);
    expect(offline.validation.violations).toEqual([]);
  });

  it('offline (portcullis test / scan) relieves like the server: evaluateOffline uses the bundle it is given', async () => {
    const offline = await evaluateOffline(request(noLimits), bundle({ defaults: {}, limits: {} }), context);
    expect(offline.mutation.patches).toEqual([]);
    expect(offline.allowed).toBe(true);
    const audit = await evaluateOffline(request(noLimits), withAuditDefaults(bundle({ defaults: {}, limits: {} }), 'resource-defaults'), context);
    expect(audit.allowed).toBe(false);
  });
});

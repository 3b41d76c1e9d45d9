/**
 * Defaults mutate Pods only; mutating controllers' templates is opt-in (`mutateControllers`, like
 * `pinControllers`), checked at synth, and an app that opts in documents the Argo CD
 * ignoreDifferences it needs on its MutatingWebhookConfiguration (the reference set does not opt
 * in, so dist/ carries none).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { DefaultResources, DefaultSeccomp, Policy, type PolicyProps, type PortcullisApp } from '../../constructs';
import { ARGOCD_IGNORE_DIFFERENCES_ANNOTATION } from '../../constructs/argocd-ignore-differences';
import { canonicalQuantity } from '../../constructs/canonical-quantity';
import { createReferenceApp } from '../../policies/app';
import { config } from '../../policies/config';
import { newApp, NOW, readManifests, synthError, tempDir, type Json, type K8sObject } from './helpers';

const CONTROLLER_RESOURCES = ['cronjobs', 'daemonsets', 'deployments', 'jobs', 'replicasets', 'replicationcontrollers', 'statefulsets'];

function defaultsApp(opts: { mutateControllers?: boolean; policy?: PolicyProps; limits?: { cpu?: string; memory?: string } } = {}): PortcullisApp {
  const app = newApp();
  const p = new Policy(app, 'resource-defaults', { mode: 'Enforce', failurePolicy: 'Ignore', timeoutSeconds: 5, ...opts.policy });
  const mc = opts.mutateControllers === undefined ? {} : { mutateControllers: opts.mutateControllers };
  new DefaultResources(p, 'defaults', { requests: { cpu: '100m', memory: '128Mi' }, limits: opts.limits ?? { cpu: '500m', memory: '512Mi' }, ...mc });
  new DefaultSeccomp(p, 'seccomp', mc);
  return app;
}

function mutatingConfiguration(app: PortcullisApp): Json {
  app.synth();
  const found = readManifests(app.outdir).find((m) => m.object.kind === 'MutatingWebhookConfiguration');
  if (found === undefined) throw new Error('no MutatingWebhookConfiguration synthesized');
  return found.object;
}

function mutatingResources(app: PortcullisApp): string[] {
  return app
    .build()
    .bundle.webhooks.filter((w) => w.type === 'mutating')
    .flatMap((w) => w.rules.flatMap((r) => r.resources))
    .sort();
}

describe('defaults mutate Pods only unless mutateControllers', () => {
  it('by default: Pod rules only, and the mutating webhook routes no controller', () => {
    const app = defaultsApp();
    const policy = app.build().bundle.policies[0];
    expect(policy.rules.map((r) => `${r.name}@${r.target.kind}`)).toEqual(['defaults@Pod', 'seccomp@Pod']);
    expect(mutatingResources(app)).toEqual(['pods']);
    expect(mutatingConfiguration(app).metadata.annotations[ARGOCD_IGNORE_DIFFERENCES_ANNOTATION]).toBeUndefined();
  });

  it('with mutateControllers: autogen copies for every controller, routed by the mutating webhook', () => {
    const app = defaultsApp({ mutateControllers: true });
    const rules = app.build().bundle.policies[0].rules;
    expect(rules).toHaveLength(16);
    expect(rules.filter((r) => r.autogenFrom === 'defaults').map((r) => r.target.kind)).toEqual([
      'Deployment',
      'StatefulSet',
      'DaemonSet',
      'ReplicaSet',
      'ReplicationController',
      'Job',
      'CronJob',
    ]);
    expect(mutatingResources(app)).toEqual(['pods', ...CONTROLLER_RESOURCES].sort());
  });

  it('the reference set does not opt in: dist/ routes only Pods to the mutating webhooks and carries no ignoreDifferences', () => {
    const app = createReferenceApp({ outdir: tempDir(), now: NOW });
    expect(mutatingResources(app)).toEqual(['pods', 'pods']);
    const dist = path.resolve(__dirname, '../../dist/40-webhooks.k8s.yaml');
    const docs = parseAllDocuments(readFileSync(dist, 'utf8')).map((d) => d.toJS() as K8sObject);
    const mwc = docs.find((d) => d.kind === 'MutatingWebhookConfiguration');
    if (mwc === undefined) throw new Error('dist/ has no MutatingWebhookConfiguration');
    const resources = (mwc.webhooks as Json[]).flatMap((w) => (w.rules as Json[]).flatMap((r) => r.resources as string[]));
    expect(resources.filter((r) => r !== 'pods')).toEqual([]);
    expect(mwc.metadata.annotations?.[ARGOCD_IGNORE_DIFFERENCES_ANNOTATION]).toBeUndefined();
  });

  it('refuses an opt-in that means nothing, and a defaulting rule that would apply to nothing', () => {
    const noControllers = synthError(() => defaultsApp({ mutateControllers: true, policy: { controllers: [] } }).build());
    expect(noControllers.message).toContain('mutateControllers has no effect: the policy covers no controllers');
    const noPods = synthError(() => defaultsApp({ policy: { match: { kinds: ['Deployment'] } } }).build());
    expect(noPods.message).toContain('mutates Pods only');
    expect(noPods.message).toContain("Fix: add 'Pod' to match.kinds, or set mutateControllers: true");
    expect(() => defaultsApp({ mutateControllers: true, policy: { match: { kinds: ['Deployment'] } } }).build()).not.toThrow();
  });

  it('refuses defaulting rules in an Audit policy (a default goes in or not; relief counts Enforce defaults only)', () => {
    const audit = synthError(() => defaultsApp({ policy: { mode: 'Audit' } }).build());
    const lines = audit.message.split('\n').filter((l) => l.includes('contradicts mode Audit'));
    expect(lines.map((l) => /\[([^\]]+)\]/.exec(l)?.[1]).sort()).toEqual(['resource-defaults/defaults', 'resource-defaults/seccomp']);
    expect(audit.message).toContain("Fix: set the policy's mode to 'Enforce'");
  });
});

describe('Argo CD ignoreDifferences for opted-in controller mutation', () => {
  const EXPECTED_DEPLOYMENT = [
    '.spec.template.spec.containers[]?.resources.limits.cpu | select(. == "500m")',
    '.spec.template.spec.containers[]?.resources.limits.memory | select(. == "1Gi")',
    '.spec.template.spec.containers[]?.resources.requests.cpu | select(. == "100m")',
    '.spec.template.spec.containers[]?.resources.requests.memory | select(. == "128Mi")',
    '.spec.template.spec.initContainers[]?.resources.limits.cpu | select(. == "500m")',
    '.spec.template.spec.initContainers[]?.resources.limits.memory | select(. == "1Gi")',
    '.spec.template.spec.initContainers[]?.resources.requests.cpu | select(. == "100m")',
    '.spec.template.spec.initContainers[]?.resources.requests.memory | select(. == "128Mi")',
    '.spec.template.spec.securityContext.seccompProfile | select(.type == "RuntimeDefault")',
  ];

  // The defaults are written as 0.5 and 1024Mi; the live objects (and so the entries) show 500m and 1Gi.
  const app = defaultsApp({ mutateControllers: true, limits: { cpu: '0.5', memory: '1024Mi' } });
  const annotation = mutatingConfiguration(app).metadata.annotations[ARGOCD_IGNORE_DIFFERENCES_ANNOTATION] as string;
  const entries = parse(annotation) as Array<{ group: string; kind: string; jqPathExpressions: string[] }>;

  it('lists one entry per controller kind, with the exact expressions and the API server canonical values', () => {
    expect(entries.map((e) => `${e.group}/${e.kind}`)).toEqual([
      'apps/Deployment',
      'apps/StatefulSet',
      'apps/DaemonSet',
      'apps/ReplicaSet',
      '/ReplicationController',
      'batch/Job',
      'batch/CronJob',
    ]);
    expect(entries[0].jqPathExpressions).toEqual(EXPECTED_DEPLOYMENT);
    expect(entries.find((e) => e.kind === 'CronJob')?.jqPathExpressions).toEqual(
      EXPECTED_DEPLOYMENT.map((x) => x.replace('.spec.template.spec', '.spec.jobTemplate.spec.template.spec')),
    );
  });

  it('is YAML that pastes under an Application spec.ignoreDifferences', () => {
    const application = parse(`spec:\n  ignoreDifferences:\n${annotation.replace(/^/gm, '    ').trimEnd()}\n`) as { spec: { ignoreDifferences: unknown } };
    expect(application.spec.ignoreDifferences).toEqual(entries);
  });

  const jq = ((): boolean => {
    try {
      execFileSync('jq', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  // Argo CD runs `del(<expression>)` on both the live and the desired object before comparing.
  it.skipIf(!jq)('removes only the values the webhook added (jq, as Argo CD applies them)', () => {
    const normalize = (obj: unknown): unknown =>
      JSON.parse(execFileSync('jq', ['-c', entries[0].jqPathExpressions.map((e) => `del(${e})`).join(' | ')], { input: JSON.stringify(obj) }).toString());
    const container = { name: 'app', image: 'app:1', resources: { limits: { cpu: '500m', memory: '2Gi' }, requests: { cpu: '100m', memory: '128Mi' } } };
    const live = { spec: { template: { spec: { containers: [container], securityContext: { seccompProfile: { type: 'RuntimeDefault' } } } } } };
    expect(normalize(live)).toEqual({
      spec: { template: { spec: { containers: [{ name: 'app', image: 'app:1', resources: { limits: { memory: '2Gi' }, requests: {} } }], securityContext: {} } } },
    });
    const localhost = { spec: { template: { spec: { containers: [], securityContext: { seccompProfile: { type: 'Localhost' } } } } } };
    expect(normalize(localhost)).toEqual(localhost);
  });
});

it('docs/argocd-application.yaml shows expressions synth really emits for the reference defaults', () => {
  const app = newApp();
  const p = new Policy(app, 'resource-defaults', { mode: 'Enforce' });
  new DefaultResources(p, 'defaults', { ...config.resourceDefaults, mutateControllers: true });
  new DefaultSeccomp(p, 'seccomp', { mutateControllers: true });
  const annotation = mutatingConfiguration(app).metadata.annotations[ARGOCD_IGNORE_DIFFERENCES_ANNOTATION] as string;
  const deployment = (parse(annotation) as Array<{ kind: string; jqPathExpressions: string[] }>).find((e) => e.kind === 'Deployment');
  const documented = [...readFileSync(path.resolve(__dirname, '../../docs/argocd-application.yaml'), 'utf8').matchAll(/^#\s+- (\.spec\..*)$/gm)].map((m) => m[1]);
  expect(documented.length).toBeGreaterThan(4);
  for (const e of documented) expect(deployment?.jqPathExpressions).toContain(e);
});

describe('canonicalQuantity (what the API server writes back)', () => {
  it.each([
    ['500m', '500m'],
    ['0.5', '500m'],
    ['0.1', '100m'],
    ['1', '1'],
    ['1000m', '1'],
    ['2000', '2k'],
    ['1.5', '1500m'],
    ['128Mi', '128Mi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Ki', '512'],
    ['1e3', '1e3'],
    ['0.0000000001', '1n'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
  });

  it('is undefined for text that is not a quantity', () => {
    expect(canonicalQuantity('lots')).toBeUndefined();
  });
});

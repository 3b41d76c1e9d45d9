/**
 * Webhook grouping: one entry per (type, failurePolicy, timeout, namespace/object selector), stable
 * names and paths, rules for exactly the needed resources, the system and runtime namespaces always
 * excluded, and the WebhookConfigurations in dist/ mirroring the bundle's entries.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Webhook } from '../../runtime/bundle';
import { matchesLabelSelector } from '../../runtime/engine/label-selector';
import {
  AllowedRegistries,
  DefaultResources,
  DefaultSeccomp,
  keyAttestor,
  PodSecurity,
  Policy,
  RequireLabels,
  VerifyImages,
  type PolicyProps,
  type PortcullisApp,
} from '../../constructs';
import { newApp, readManifests } from './helpers';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

function pss(app: PortcullisApp, id: string, props: PolicyProps = {}): Policy {
  const p = new Policy(app, id, props);
  new PodSecurity(p, 'restricted');
  return p;
}

function byName(webhooks: Webhook[]): Record<string, Webhook> {
  return Object.fromEntries(webhooks.map((w) => [w.name, w]));
}

const NS = 'kubernetes.io/metadata.name';

describe('webhook grouping', () => {
  it('groups by failurePolicy and timeout; same settings share one entry and path', () => {
    const app = newApp();
    pss(app, 'a');
    pss(app, 'b');
    pss(app, 'c', { failurePolicy: 'Ignore' });
    pss(app, 'd', { timeoutSeconds: 5 });
    const hooks = byName(app.build().bundle.webhooks);
    expect(Object.keys(hooks).sort()).toEqual([
      'validate-fail-10s.portcullis.dev',
      'validate-fail-5s.portcullis.dev',
      'validate-ignore-10s.portcullis.dev',
    ]);
    expect(hooks['validate-fail-10s.portcullis.dev']).toMatchObject({ path: '/validate/fail-10s', failurePolicy: 'Fail', timeoutSeconds: 10, policies: ['a', 'b'] });
    expect(hooks['validate-ignore-10s.portcullis.dev']).toMatchObject({ path: '/validate/ignore-10s', failurePolicy: 'Ignore', policies: ['c'] });
    expect(hooks['validate-fail-5s.portcullis.dev']).toMatchObject({ path: '/validate/fail-5s', timeoutSeconds: 5, policies: ['d'] });
  });

  it('groups by namespace and object selector, with a stable hash-suffixed name', () => {
    const build = (extra: boolean) => {
      const app = newApp();
      pss(app, 'everywhere');
      pss(app, 'prod', { match: { namespaceSelector: { matchLabels: { env: 'prod' } } } });
      pss(app, 'prod-too', { match: { namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] } } });
      pss(app, 'labelled', { match: { objectSelector: { matchLabels: { tier: 'web' } } } });
      if (extra) pss(app, 'zzz', { failurePolicy: 'Ignore', match: { namespaces: ['team-a'] } });
      return app.build().bundle.webhooks;
    };
    const hooks = build(false);
    expect(hooks).toHaveLength(3);
    const prod = hooks.find((w) => w.policies.includes('prod'));
    expect(prod?.policies).toEqual(['prod', 'prod-too']);
    expect(prod?.name).toMatch(/^validate-fail-10s-[0-9a-f]{8}\.portcullis\.dev$/);
    expect(prod?.path).toMatch(/^\/validate\/fail-10s-[0-9a-f]{8}$/);
    const labelled = hooks.find((w) => w.policies.includes('labelled'));
    expect(labelled?.objectSelector).toEqual({ matchLabels: { tier: 'web' } });
    expect(labelled?.name).not.toBe(prod?.name);
    // Adding an unrelated policy renames nothing.
    const after = build(true);
    for (const w of hooks) expect(after.find((x) => x.name === w.name)?.path).toBe(w.path);
    expect(after).toHaveLength(4);
  });

  it('always excludes kube-system, kube-public, kube-node-lease and the runtime namespace, plus exclude.namespaces', () => {
    const app = newApp({ namespace: 'policy-gate' });
    pss(app, 'a');
    pss(app, 'b', { exclude: { namespaces: ['legacy'] } });
    pss(app, 'c', { match: { namespaces: ['team-a', 'kube-system'] } });
    const hooks = app.build().bundle.webhooks;
    expect(hooks).toHaveLength(3);
    for (const w of hooks) {
      for (const ns of ['kube-system', 'kube-public', 'kube-node-lease', 'policy-gate']) {
        expect(matchesLabelSelector(w.namespaceSelector, { [NS]: ns }), `${w.name} must not match ${ns}`).toBe(false);
      }
    }
    const a = hooks.find((w) => w.policies.includes('a'));
    expect(a?.namespaceSelector).toEqual({ matchExpressions: [{ key: NS, operator: 'NotIn', values: ['kube-node-lease', 'kube-public', 'kube-system', 'policy-gate'] }] });
    expect(matchesLabelSelector(a!.namespaceSelector, { [NS]: 'default' })).toBe(true);
    const b = hooks.find((w) => w.policies.includes('b'));
    expect(matchesLabelSelector(b!.namespaceSelector, { [NS]: 'legacy' })).toBe(false);
    expect(matchesLabelSelector(b!.namespaceSelector, { [NS]: 'team-a' })).toBe(true);
    const c = hooks.find((w) => w.policies.includes('c'));
    expect(matchesLabelSelector(c!.namespaceSelector, { [NS]: 'team-a' })).toBe(true);
    expect(matchesLabelSelector(c!.namespaceSelector, { [NS]: 'team-b' })).toBe(false);
    expect(matchesLabelSelector(c!.namespaceSelector, { [NS]: 'kube-system' })).toBe(false);
  });

  it('folds exclude selectors into the webhook selectors (the API server evaluates them)', () => {
    const app = newApp();
    pss(app, 'a', { exclude: { namespaceSelector: { matchLabels: { sandbox: 'true' } }, objectSelector: { matchExpressions: [{ key: 'skip', operator: 'Exists' }] } } });
    const [w] = app.build().bundle.webhooks;
    expect(matchesLabelSelector(w.namespaceSelector, { [NS]: 'x', sandbox: 'true' })).toBe(false);
    expect(matchesLabelSelector(w.namespaceSelector, { [NS]: 'x' })).toBe(true);
    expect(w.objectSelector).toEqual({ matchExpressions: [{ key: 'skip', operator: 'DoesNotExist' }] });
  });

  it('puts mutating rules in the mutating webhook only, defaults before digest pinning', () => {
    const app = newApp();
    const signed = new Policy(app, 'signed', { mode: 'Enforce', timeoutSeconds: 10 });
    new VerifyImages(signed, 'sig', { imageReferences: ['registry.example.com/**'], attestors: [{ entries: [keyAttestor('k', key)] }], registries: [{ host: 'registry.example.com' }] });
    const seccomp = new Policy(app, 'seccomp', { mode: 'Enforce' });
    new DefaultSeccomp(seccomp, 'default');
    const defaults = new Policy(app, 'defaults', { mode: 'Enforce' });
    new DefaultResources(defaults, 'defaults', { requests: { cpu: '100m' } });
    const ignored = new Policy(app, 'ignored-defaults', { mode: 'Enforce', failurePolicy: 'Ignore', timeoutSeconds: 5 });
    new DefaultSeccomp(ignored, 'default');
    const { webhooks } = app.build().bundle;
    const mutating = webhooks.filter((w) => w.type === 'mutating');
    const validating = webhooks.filter((w) => w.type === 'validating');
    // One group (Fail, 10s): defaults first, seccomp next, pinning last, whatever the declaration order.
    expect(mutating.find((w) => w.path === '/mutate/fail-10s')?.policies).toEqual(['defaults', 'seccomp', 'signed']);
    // The group that pins comes after the group that only defaults.
    expect(mutating.map((w) => w.path)).toEqual(['/mutate/ignore-5s', '/mutate/fail-10s']);
    // Only verifyImages validates; the pure defaulters never reach the validating webhook.
    expect(validating.map((w) => w.policies)).toEqual([['signed']]);
  });

  it('lists exactly the resources needed: pods, pods/ephemeralcontainers and the autogen controllers; never *, leases or events', () => {
    const app = newApp();
    pss(app, 'all');
    pss(app, 'deploy-only', { controllers: ['Deployment'], timeoutSeconds: 7 });
    const create = new Policy(app, 'create-only', { controllers: [], match: { operations: ['CREATE'] }, timeoutSeconds: 3 });
    new AllowedRegistries(create, 'r', { allowed: ['registry.example.com/**'] });
    const { webhooks } = app.build().bundle;
    const resources = (path: string) => webhooks.find((w) => w.path === path)?.rules.flatMap((r) => r.resources.map((x) => `${r.apiGroups[0]}/${x}:${r.operations.join('+')}`)).sort();
    expect(resources('/validate/fail-10s')).toEqual([
      '/pods/ephemeralcontainers:UPDATE',
      '/pods:CREATE+UPDATE',
      '/replicationcontrollers:CREATE+UPDATE',
      'apps/daemonsets:CREATE+UPDATE',
      'apps/deployments:CREATE+UPDATE',
      'apps/replicasets:CREATE+UPDATE',
      'apps/statefulsets:CREATE+UPDATE',
      'batch/cronjobs:CREATE+UPDATE',
      'batch/jobs:CREATE+UPDATE',
    ]);
    expect(resources('/validate/fail-7s')).toEqual(['/pods/ephemeralcontainers:UPDATE', '/pods:CREATE+UPDATE', 'apps/deployments:CREATE+UPDATE']);
    expect(resources('/validate/fail-3s')).toEqual(['/pods/ephemeralcontainers:UPDATE', '/pods:CREATE']);
    const text = JSON.stringify(webhooks);
    expect(text).not.toMatch(/"\*"|leases|events/);
  });

  it('writes both WebhookConfigurations from the bundle entries with the fixed admission settings', () => {
    const app = newApp();
    pss(app, 'a');
    const labels = new Policy(app, 'labels', { failurePolicy: 'Ignore', match: { namespaceSelector: { matchLabels: { env: 'prod' } } } });
    new RequireLabels(labels, 'owner', { labels: ['owner'] });
    const d = new Policy(app, 'defaults', { mode: 'Enforce' });
    new DefaultResources(d, 'defaults', { limits: { memory: '512Mi' } });
    app.synth();
    const { bundle } = app.build();
    const objects = readManifests(app.outdir).map((m) => m.object);
    const mwc = objects.find((o) => o.kind === 'MutatingWebhookConfiguration') as unknown as { metadata: Record<string, unknown>; webhooks: Array<Record<string, unknown>> };
    const vwc = objects.find((o) => o.kind === 'ValidatingWebhookConfiguration') as unknown as { metadata: Record<string, unknown>; webhooks: Array<Record<string, unknown>> };
    for (const [cfg, type] of [[mwc, 'mutating'], [vwc, 'validating']] as const) {
      expect(cfg.metadata.namespace).toBeUndefined();
      const entries = bundle.webhooks.filter((w) => w.type === type);
      expect(cfg.webhooks.map((w) => w.name)).toEqual(entries.map((w) => w.name));
      for (const [i, w] of cfg.webhooks.entries()) {
        expect(w).toMatchObject({
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          matchPolicy: 'Equivalent',
          failurePolicy: entries[i].failurePolicy,
          timeoutSeconds: entries[i].timeoutSeconds,
          namespaceSelector: entries[i].namespaceSelector,
          clientConfig: { service: { name: 'portcullis', namespace: 'portcullis-system', path: entries[i].path, port: 443 } },
        });
        expect((w.clientConfig as Record<string, unknown>).caBundle).toBeUndefined();
        expect(w.reinvocationPolicy).toBe(type === 'mutating' ? 'IfNeeded' : undefined);
      }
    }
    expect(vwc.webhooks.find((w) => w.name === bundle.webhooks.find((x) => x.policies.includes('labels'))?.name)?.failurePolicy).toBe('Ignore');
  });

  it('uses a provided CA bundle instead of cert-manager when asked', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
    const app = newApp({ tls: { mode: 'provided', caBundlePem: pem, secretName: 'my-webhook-tls' } });
    pss(app, 'a');
    app.synth();
    const objects = readManifests(app.outdir).map((m) => m.object);
    expect(objects.some((o) => o.apiVersion.startsWith('cert-manager.io'))).toBe(false);
    const vwc = objects.find((o) => o.kind === 'ValidatingWebhookConfiguration') as unknown as { metadata: { annotations?: Record<string, string> }; webhooks: Array<{ clientConfig: { caBundle?: string } }> };
    expect(vwc.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBeUndefined();
    expect(Buffer.from(vwc.webhooks[0].clientConfig.caBundle ?? '', 'base64').toString()).toBe(pem);
    expect(JSON.stringify(objects.find((o) => o.kind === 'Deployment'))).toContain('"secretName":"my-webhook-tls"');
  });
});

/**
 * Autogen at synth time: a Pod-level policy becomes explicit rules for every controller, visible in
 * the bundle and in dist/, with targets that locate the pod template in real manifests.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROLLER_KINDS, CONTROLLER_TARGETS, type Rule } from '../../runtime/bundle';
import { getPointer } from '../../runtime/engine/pod-view';
import { keyAttestor, PodSecurity, Policy, VerifyImages } from '../../constructs';
import { generateKeyPairSync } from 'node:crypto';
import { newApp } from './helpers';

const pod = { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] };
const template = { metadata: { labels: { app: 'x' } }, spec: pod };
const MANIFESTS: Record<string, unknown> = {
  Deployment: { apiVersion: 'apps/v1', kind: 'Deployment', spec: { template } },
  StatefulSet: { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { template } },
  DaemonSet: { apiVersion: 'apps/v1', kind: 'DaemonSet', spec: { template } },
  ReplicaSet: { apiVersion: 'apps/v1', kind: 'ReplicaSet', spec: { template } },
  ReplicationController: { apiVersion: 'v1', kind: 'ReplicationController', spec: { template } },
  Job: { apiVersion: 'batch/v1', kind: 'Job', spec: { template } },
  CronJob: { apiVersion: 'batch/v1', kind: 'CronJob', spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } } },
};

/** One Enforce policy with a VerifyImages rule `sig`, built: the bundle and its verifyImages rules. */
function signedPolicy(extra: { pinControllers?: boolean } = {}) {
  const app = newApp();
  const p = new Policy(app, 'signed', { mode: 'Enforce' });
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  new VerifyImages(p, 'sig', {
    imageReferences: ['registry.example.com/**'],
    attestors: [{ entries: [keyAttestor('k', key)] }],
    registries: [{ host: 'registry.example.com' }],
    ...extra,
  });
  const { bundle } = app.build();
  const rules = bundle.policies[0].rules.filter((r): r is Extract<Rule, { type: 'verifyImages' }> => r.type === 'verifyImages');
  return { bundle, rules };
}

function rulesOf(props: ConstructorParameters<typeof Policy>[2]) {
  const app = newApp();
  const p = new Policy(app, "pss", props);
  new PodSecurity(p, 'restricted');
  return app.build().bundle.policies[0];
}

describe('autogen', () => {
  it('expands a Pod rule into one rule per controller (all seven by default), named autogen-<kind>-<rule>', () => {
    const policy = rulesOf({});
    expect(policy.controllers).toEqual(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob']);
    expect(policy.match.kinds).toEqual(['Pod', ...policy.controllers]);
    expect(policy.rules.map((r) => r.name)).toEqual([
      'restricted',
      'autogen-deployment-restricted',
      'autogen-statefulset-restricted',
      'autogen-daemonset-restricted',
      'autogen-replicaset-restricted',
      'autogen-replicationcontroller-restricted',
      'autogen-job-restricted',
      'autogen-cronjob-restricted',
    ]);
    expect(policy.rules[0].autogenFrom).toBeUndefined();
    expect(policy.rules[0].target.kind).toBe('Pod');
    for (const kind of CONTROLLER_KINDS) {
      const rule = policy.rules.find((r) => r.target.kind === kind) as Rule;
      expect(rule.autogenFrom).toBe('restricted');
      expect(rule.target).toEqual(CONTROLLER_TARGETS[kind]);
      expect(rule).toMatchObject({ type: 'podSecurity', level: 'restricted', version: 'latest' });
    }
  });

  it('points every controller target at the pod template of a real manifest (CronJob via jobTemplate)', () => {
    const policy = rulesOf({});
    for (const rule of policy.rules.filter((r) => r.autogenFrom !== undefined)) {
      const manifest = MANIFESTS[rule.target.kind];
      expect(getPointer(manifest, rule.target.podSpecPath), rule.name).toEqual(pod);
      expect(getPointer(manifest, rule.target.podMetadataPath), rule.name).toEqual(template.metadata);
    }
    expect(policy.rules.find((r) => r.target.kind === 'CronJob')?.target.podSpecPath).toBe('/spec/jobTemplate/spec/template/spec');
  });

  it('honours a per-policy controller list, and none', () => {
    expect(rulesOf({ controllers: ['Deployment', 'CronJob'] }).rules.map((r) => r.name)).toEqual([
      'restricted',
      'autogen-deployment-restricted',
      'autogen-cronjob-restricted',
    ]);
    const none = rulesOf({ controllers: [] });
    expect(none.controllers).toEqual([]);
    expect(none.rules.map((r) => r.name)).toEqual(['restricted']);
    expect(rulesOf({ match: { kinds: ['Pod', 'Job'] } }).rules.map((r) => r.name)).toEqual(['restricted', 'autogen-job-restricted']);
  });

  it('verifies images on controllers but pins digests only on Pods', () => {
    const { bundle, rules } = signedPolicy();
    expect(rules).toHaveLength(8);
    expect(rules[0]).toMatchObject({ name: 'sig', mutateDigest: true, verifyDigest: true });
    for (const r of rules.slice(1)) expect(r).toMatchObject({ mutateDigest: false, verifyDigest: false, autogenFrom: 'sig' });
    const mutating = bundle.webhooks.filter((w) => w.type === 'mutating');
    expect(mutating).toHaveLength(1);
    expect(mutating[0].rules).toEqual([{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] }]);
  });

  it('pins controllers too only when the author opts in with pinControllers', () => {
    const { bundle, rules } = signedPolicy({ pinControllers: true });
    expect(rules).toHaveLength(8);
    for (const r of rules) expect(r).toMatchObject({ mutateDigest: true, verifyDigest: true });
    const mutating = bundle.webhooks.filter((w) => w.type === 'mutating');
    expect(mutating).toHaveLength(1);
    const resources = mutating[0].rules.flatMap((r) => r.resources).sort();
    expect(resources).toEqual(['cronjobs', 'daemonsets', 'deployments', 'jobs', 'pods', 'replicasets', 'replicationcontrollers', 'statefulsets']);
  });

  it('is visible in the committed dist/: bundle file and ConfigMap list the autogen rules', () => {
    const dist = path.resolve(__dirname, '../../dist');
    const bundle = JSON.parse(readFileSync(path.join(dist, 'portcullis-bundle.json'), 'utf8')) as { policies: Array<{ name: string; rules: Rule[] }> };
    const pss = bundle.policies.find((p) => p.name === 'pod-security');
    expect(pss?.rules.map((r) => r.name)).toContain('autogen-cronjob-restricted');
    expect(readFileSync(path.join(dist, '20-bundle.k8s.yaml'), 'utf8')).toContain('"name": "autogen-cronjob-restricted"');
  });
});

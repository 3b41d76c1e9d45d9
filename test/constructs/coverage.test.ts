/**
 * Invariant between a bundle's rules and its webhooks, over generated policy sets and the reference
 * set: every rule is reachable (some webhook of its phase serves its policy and covers its resource
 * and operations), no webhook serves a policy with nothing to do there, and every webhook excludes
 * the system and runtime namespaces.
 */
import fc from 'fast-check';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CONTROLLER_KINDS, webhookRoute, type Bundle, type ControllerKind, type Operation } from '../../runtime/bundle';
import { matchesLabelSelector } from '../../runtime/engine/label-selector';
import { DefaultResources, DefaultSeccomp, HostNamespaces, keyAttestor, PodSecurity, Policy, RequireDigest, VerifyImages } from '../../constructs';
import { ruleMutates, ruleValidates } from '../../constructs/webhook-groups';
import { createReferenceApp } from '../../policies/app';
import { newApp, tempDir } from './helpers';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

function checkCoverage(bundle: Bundle): void {
  for (const p of bundle.policies) {
    for (const r of p.rules) {
      // A native rule is enforced by the policy's ValidatingAdmissionPolicy (test/native), not a webhook.
      const native = (p.nativeRules ?? []).includes(r.autogenFrom ?? r.name);
      for (const [phase, applies] of [['mutating', ruleMutates], ['validating', ruleValidates]] as const) {
        if (!applies(r) || (phase === 'validating' && native)) continue;
        const resource = r.target.subresource === undefined ? r.target.resource : `${r.target.resource}/${r.target.subresource}`;
        const hooks = bundle.webhooks.filter((w) => w.type === phase && w.policies.includes(p.name));
        expect(hooks, `${p.name}/${r.name} has no ${phase} webhook`).toHaveLength(1);
        for (const op of p.match.operations) {
          const covered = hooks[0].rules.some(
            (wr) => wr.apiGroups.includes(r.target.group) && wr.apiVersions.includes(r.target.version) && wr.resources.includes(resource) && wr.operations.includes(op),
          );
          expect(covered, `${p.name}/${r.name} ${op} ${resource} not covered by ${hooks[0].name}`).toBe(true);
        }
      }
    }
  }
  for (const w of bundle.webhooks) {
    expect(w.failurePolicy).toBe(bundle.policies.find((p) => p.name === w.policies[0])?.failurePolicy);
    for (const name of w.policies) {
      const p = bundle.policies.find((x) => x.name === name)!;
      const onWebhook = webhookRoute(p).rules;
      expect(onWebhook.some(w.type === 'mutating' ? ruleMutates : ruleValidates), `${w.name} serves ${name} for nothing`).toBe(true);
      expect([p.failurePolicy, p.timeoutSeconds]).toEqual([w.failurePolicy, w.timeoutSeconds]);
    }
    for (const ns of ['kube-system', 'kube-public', 'kube-node-lease', bundle.metadata.runtimeNamespace]) {
      expect(matchesLabelSelector(w.namespaceSelector, { 'kubernetes.io/metadata.name': ns })).toBe(false);
    }
  }
}

const familyBuilders: Record<string, (p: Policy) => void> = {
  pss: (p) => new PodSecurity(p, 'pss'),
  digest: (p) => new RequireDigest(p, 'digest'),
  hostns: (p) => new HostNamespaces(p, 'hostns'),
  defaults: (p) => new DefaultResources(p, 'defaults', { limits: { memory: '1Gi' } }),
  seccomp: (p) => new DefaultSeccomp(p, 'seccomp'),
  verify: (p) =>
    new VerifyImages(p, 'verify', { imageReferences: ['registry.example.com/**'], attestors: [{ entries: [keyAttestor('k', key)] }], registries: [{ host: 'registry.example.com' }] }),
};

const policyArb = fc.record({
  failurePolicy: fc.constantFrom('Fail' as const, 'Ignore' as const),
  timeoutSeconds: fc.constantFrom(5, 10, 15),
  controllers: fc.subarray([...CONTROLLER_KINDS] as ControllerKind[]),
  operations: fc.constantFrom<Operation[]>(['CREATE'], ['UPDATE'], ['CREATE', 'UPDATE']),
  families: fc.subarray(Object.keys(familyBuilders), { minLength: 1 }),
  env: fc.constantFrom(undefined, 'prod', 'dev'),
});

describe('webhook coverage of every rule', () => {
  it('holds for the reference policy set', () => {
    checkCoverage(createReferenceApp({ outdir: tempDir() }).build().bundle);
  });

  it('holds for generated policy sets', () => {
    fc.assert(
      fc.property(fc.array(policyArb, { minLength: 1, maxLength: 5 }), (specs) => {
        const app = newApp();
        specs.forEach((s, i) => {
          const p = new Policy(app, `p${i}`, {
            mode: 'Enforce',
            failurePolicy: s.failurePolicy,
            timeoutSeconds: s.timeoutSeconds,
            controllers: s.controllers,
            match: { operations: s.operations, ...(s.env === undefined ? {} : { namespaceSelector: { matchLabels: { env: s.env } } }) },
          });
          for (const f of s.families) familyBuilders[f](p);
        });
        checkCoverage(app.build().bundle);
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * The enforcement choice at synth (constructs/native-chart.ts): `webhook` (default) writes no
 * native objects; `hybrid` moves a policy whose validating rules all compile to a
 * ValidatingAdmissionPolicy + binding (45-native-policies.k8s.yaml) rule by rule: the bundle
 * names those rules (`nativeRules`), the validating webhook neither routes nor evaluates them, the
 * rest stays on the webhook; `native` refuses a rule that cannot compile, naming it.
 */
import { describe, expect, it } from 'vitest';
import { Exemption, HostNamespaces, Policy, PodSecurity, RequireLabels, type PortcullisApp } from '../../constructs';
import { loadBundle } from '../../runtime/bundle';
import { compileSnapshot } from '../../runtime/server/bundle-state';
import { checkKubernetesObject } from './k8s-schemas';
import { newApp, readManifests, synthError, type K8sObject } from './helpers';

function policies(app: PortcullisApp, enforcement?: 'webhook' | 'native' | 'hybrid'): void {
  const iso = new Policy(app, 'host-isolation', { mode: 'Enforce', ...(enforcement !== undefined ? { enforcement } : {}) });
  new HostNamespaces(iso, 'no-host-namespaces');
  new RequireLabels(iso, 'owner', { labels: [{ key: 'owner' }] });
  const pss = new Policy(app, 'pod-security', { mode: 'Audit' });
  new PodSecurity(pss, 'restricted', { level: 'restricted' });
}

function synth(app: PortcullisApp): K8sObject[] {
  app.synth();
  return readManifests(app.outdir).map((m) => m.object);
}

describe('enforcement', () => {
  it('defaults to webhook: no native objects', () => {
    const app = newApp();
    policies(app);
    expect(synth(app).filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy'))).toEqual([]);
  });

  it('hybrid: compiled policies run natively and leave the validating webhook; the bundle keeps every rule', () => {
    const app = newApp({ enforcement: 'hybrid' });
    policies(app);
    const objects = synth(app);
    const native = objects.filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy'));
    expect(native.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ValidatingAdmissionPolicy/portcullis-host-isolation',
      'ValidatingAdmissionPolicyBinding/portcullis-host-isolation',
      'ValidatingAdmissionPolicy/portcullis-pod-security',
      'ValidatingAdmissionPolicyBinding/portcullis-pod-security',
    ]);
    expect(native.every((o) => o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] === '3')).toBe(true);
    expect((native[1].spec as { validationActions: string[] }).validationActions).toEqual(['Deny']);
    // Audit: the API server admits with a warning and records the failure in the audit log.
    expect((native[3].spec as { validationActions: string[] }).validationActions).toEqual(['Warn', 'Audit']);
    const { bundle } = app.build();
    // Every validation runs natively: no validating webhook is left.
    expect(bundle.webhooks.filter((w) => w.type === 'validating')).toEqual([]);
    expect(bundle.policies.find((p) => p.name === 'host-isolation')?.rules.length).toBe(16);
  });

  it('hybrid splits a policy rule by rule: the compiled rules run natively, the others stay on the webhook, nothing is evaluated twice', () => {
    const app = newApp({ enforcement: 'hybrid' });
    const mixed = new Policy(app, 'mixed', { mode: 'Enforce' });
    new HostNamespaces(mixed, 'no-host-namespaces');
    new PodSecurity(mixed, 'restricted', { level: 'restricted' });
    // An expiring exemption scoped by labels only cannot be compiled (no clock in CEL, no namespace to
    // keep on the webhook): the rule it touches stays on the webhook.
    new Exemption(app, 'debug-pods', {
      policies: [mixed],
      objectSelector: { matchLabels: { 'debug.example.com/node': 'true' } },
      controls: [{ control: 'privileged' }],
      owner: 'team-platform',
      reason: 'node debugging (INC-1)',
      expiresAt: '2027-01-31T00:00:00Z',
    });
    const objects = synth(app);
    expect(objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy').map((o) => o.metadata.name)).toEqual(['portcullis-mixed']);
    const { bundle, json } = app.build();
    const policy = bundle.policies.find((p) => p.name === 'mixed');
    expect(policy?.nativeRules).toEqual(['no-host-namespaces']);
    expect(policy?.rules.filter((r) => (r.autogenFrom ?? r.name) === 'no-host-namespaces')).toHaveLength(8);
    // The webhook still routes the policy (for its podSecurity rule), but its validating path evaluates only that rule.
    const validating = bundle.webhooks.filter((w) => w.type === 'validating');
    expect(validating.flatMap((w) => w.policies)).toEqual(['mixed']);
    const snapshot = compileSnapshot(loadBundle(json), 'test');
    const served = [...snapshot.bindings.values()].filter((b) => b.webhook.type === 'validating').flatMap((b) => b.policies);
    expect(served.flatMap((p) => p.rules.map((r) => r.autogenFrom ?? r.name)).filter((n, i, a) => a.indexOf(n) === i)).toEqual(['restricted']);
  });

  it('a bundle naming a native rule that mutates or does not exist is refused', () => {
    const app = newApp({ enforcement: 'hybrid' });
    policies(app);
    const { json } = app.build();
    const bundle = JSON.parse(json) as { policies: { name: string; nativeRules?: string[] }[] };
    const iso = bundle.policies.find((p) => p.name === 'host-isolation');
    if (iso === undefined) throw new Error('no host-isolation policy');
    iso.nativeRules = ['nope'];
    expect(() => loadBundle(JSON.stringify(bundle))).toThrow(/nativeRules\/0.*unknown rule "nope"/);
  });

  it('native: a rule that cannot compile refuses synth, naming the rule and why', () => {
    const app = newApp({ enforcement: 'native' });
    policies(app);
    // An expiring exemption scoped by labels only: CEL has no clock, and no namespace list could stay on the webhook.
    new Exemption(app, 'legacy-root', {
      policies: [app.node.findChild('pod-security') as Policy],
      objectSelector: { matchLabels: { 'legacy.example.com/root': 'true' } },
      controls: [{ control: 'runAsNonRoot' }],
      owner: 'team-platform',
      reason: 'legacy images running as root (INC-2)',
      expiresAt: '2027-01-31T00:00:00Z',
    });
    const err = synthError(() => app.build());
    expect(err.message).toContain(
      "enforcement 'native': rule restricted (podSecurity) cannot run as a ValidatingAdmissionPolicy: exemption \"legacy-root\" expires at 2027-01-31T00:00:00Z: CEL in the API server has no clock, and the exemption is not scoped to a list of namespaces the webhook could keep (it has no namespaces). Fix: use enforcement 'hybrid' (it stays on the webhook) or 'webhook'.",
    );
  });

  it('per-policy enforcement overrides the app default', () => {
    const app = newApp({ enforcement: 'native' });
    policies(app, 'native');
    (app.node.findChild('pod-security') as Policy).node.tryRemoveChild('restricted');
    const pss = app.node.findChild('pod-security') as Policy;
    new RequireLabels(pss, 'team', { labels: [{ key: 'team' }] });
    expect(synth(app).filter((o) => o.kind === 'ValidatingAdmissionPolicy').map((o) => o.metadata.name)).toEqual([
      'portcullis-host-isolation',
      'portcullis-pod-security',
    ]);
  });

  // kubernetes-models' v1 schema; the 1.28 field-set check does not apply (v1 ValidatingAdmissionPolicy is 1.30+).
  it('generated objects validate against the Kubernetes admissionregistration.k8s.io/v1 schema', () => {
    const app = newApp({ enforcement: 'hybrid' });
    policies(app);
    for (const o of synth(app).filter((x) => x.kind.startsWith('ValidatingAdmissionPolicy'))) {
      const v1 = checkKubernetesObject(o).problems.filter((p) => !p.endsWith('is not in the Kubernetes 1.28 API'));
      expect(v1).toEqual([]);
    }
  });
});

/**
 * The enforcement choice at synth (constructs/native-chart.ts): `webhook` (default) writes no
 * native objects; `hybrid` moves a policy whose validating rules all compile to a
 * ValidatingAdmissionPolicy + binding (45-native-policies.k8s.yaml) and out of the validating
 * webhook, keeps the rest on the webhook; `native` refuses a rule that cannot compile, naming it.
 */
import { describe, expect, it } from 'vitest';
import { HostNamespaces, Policy, PodSecurity, RequireLabels, type PortcullisApp } from '../../constructs';
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
    ]);
    expect(native.every((o) => o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] === '3')).toBe(true);
    expect((native[1].spec as { validationActions: string[] }).validationActions).toEqual(['Deny']);
    const { bundle } = app.build();
    const validating = bundle.webhooks.filter((w) => w.type === 'validating');
    expect(validating.flatMap((w) => w.policies)).toEqual(['pod-security']);
    expect(bundle.policies.find((p) => p.name === 'host-isolation')?.rules.length).toBe(16);
  });

  it('native: a rule that cannot compile refuses synth, naming the rule and why', () => {
    const app = newApp({ enforcement: 'native' });
    policies(app);
    const err = synthError(() => app.build());
    expect(err.message).toContain("rule restricted (podSecurity) cannot run as a ValidatingAdmissionPolicy: the Pod Security controls are not compiled to CEL in this version");
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

/**
 * The synthesized reference set: deterministic, current with the committed dist/, valid Kubernetes
 * objects, no secret material, Argo CD sync waves in order, the bundle consistent everywhere it
 * appears, and a runtime Deployment that passes the restricted profile (checked by the engine).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_HASH_ANNOTATION } from '../../constructs/labels';
import { bodyBudgetFor } from '../../constructs/runtime-chart';
import { DEFAULT_BODY_BUDGET } from '../../runtime/server/body-budget';
import { SYNC_WAVE_ANNOTATION, PodSecurity, Policy } from '../../constructs';
import { createReferenceApp } from '../../policies/app';
import { bundleHash, loadBundle, prettyCanonicalJson, type Bundle } from '../../runtime/bundle';
import { evaluate } from '../../runtime/engine/evaluate';
import { matchesLabelSelector } from '../../runtime/engine/label-selector';
import type { AdmissionInput } from '../../runtime/engine/types';
import { newApp, readManifests, readTree, tempDir, type Json, type K8sObject } from './helpers';
import { checkKubernetesObject } from './k8s-schemas';
import { checkMonitoringObject } from '../observability/monitoring-schemas';

const COMMITTED = path.resolve(__dirname, '../../dist');

let outA: string;
let outB: string;
let objects: K8sObject[];
let files: Array<{ file: string; object: K8sObject }>;
let bundle: Bundle;

function find(kind: string, name?: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (o === undefined) throw new Error(`no ${kind} ${name ?? ''} in dist/`);
  return o;
}

beforeAll(() => {
  outA = tempDir();
  outB = tempDir();
  createReferenceApp({ outdir: outA }).synth();
  createReferenceApp({ outdir: outB }).synth();
  files = readManifests(outA);
  objects = files.map((f) => f.object);
  bundle = loadBundle(readFileSync(path.join(outA, 'portcullis-bundle.json'))).bundle;
});

describe('dist/ of the reference policy set', () => {
  it('is byte-identical on a second synth, and equal to the committed dist/', () => {
    const a = readTree(outA);
    const b = readTree(outB);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [name, bytes] of a) expect(bytes.equals(b.get(name)!), name).toBe(true);
    const committed = readTree(COMMITTED);
    expect([...committed.keys()], 'dist/ is stale: run npm run synth').toEqual([...a.keys()]);
    for (const [name, bytes] of a) expect(bytes.toString(), `dist/${name} is stale: run npm run synth`).toBe(committed.get(name)!.toString());
  });

  it('is split by concern into stable file names', () => {
    expect([...readTree(outA).keys()]).toEqual([
      '00-namespace.k8s.yaml',
      '10-tls.k8s.yaml',
      '20-bundle.k8s.yaml',
      '30-runtime.k8s.yaml',
      '35-observability.k8s.yaml',
      '40-webhooks.k8s.yaml',
      '45-native-policies.k8s.yaml',
      'portcullis-bundle.json',
      'portcullis-bundle.schema.json',
    ]);
    const kinds = (file: string) => files.filter((f) => f.file === file).map((f) => f.object.kind);
    expect(kinds('00-namespace.k8s.yaml')).toEqual(['Namespace', 'ServiceAccount', 'ResourceQuota']);
    expect(kinds('10-tls.k8s.yaml')).toEqual(['Issuer', 'Certificate', 'Issuer', 'Certificate']);
    expect(kinds('20-bundle.k8s.yaml')).toEqual(['ConfigMap']);
    expect(kinds('30-runtime.k8s.yaml')).toEqual(['Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler']);
    expect(kinds('35-observability.k8s.yaml')).toEqual(['PodMonitor', 'PrometheusRule', 'ConfigMap']);
    expect(kinds('40-webhooks.k8s.yaml')).toEqual(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    // Hybrid enforcement: one policy + binding per policy with rules that run in the API server.
    expect(kinds('45-native-policies.k8s.yaml')).toEqual(
      ['resource-limits', 'pod-security', 'image-references', 'host-isolation', 'required-labels'].flatMap(() => ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']),
    );
  });

  it('holds only valid Kubernetes objects (published schemas; fields all defined in v1.28, ValidatingAdmissionPolicies in v1.30)', () => {
    for (const o of objects) {
      // prometheus-operator's CRDs (the observability pack): checked against their CRD fields.
      let problems = o.apiVersion.startsWith('monitoring.coreos.com/') ? checkMonitoringObject(o) : checkKubernetesObject(o).problems;
      // admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy is GA in 1.30 (hybrid enforcement's minimum).
      if (o.kind.startsWith('ValidatingAdmissionPolicy')) problems = problems.filter((p) => p !== `admissionregistration.k8s.io/v1 ${o.kind} is not in the Kubernetes 1.28 API`);
      expect(problems, `${o.kind}/${o.metadata.name}`).toEqual([]);
    }
  });

  it('puts namespaced objects in the runtime namespace and cluster-scoped ones in none', () => {
    const clusterScoped = new Set(['Namespace', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    for (const o of objects) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(clusterScoped.has(o.kind) ? undefined : 'portcullis-system');
    }
  });

  it('contains no private key, certificate, token, Secret, caBundle, timestamp or random suffix', () => {
    for (const [name, bytes] of readTree(outA)) {
      const text = bytes.toString();
      expect(text, name).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|caBundle|creationTimestamp/);
      expect(text, name).not.toMatch(/\b20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?!Z")/); // only exemption expiries (…Z") are dated
    }
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
    expect(objects.map((o) => o.metadata.name).join(' ')).not.toMatch(/-[0-9a-f]{8}\b/);
  });

  it('orders Argo CD sync waves: namespace/RBAC, then TLS, then bundle/runtime, then webhooks', () => {
    const wave = (o: K8sObject) => Number(o.metadata.annotations?.[SYNC_WAVE_ANNOTATION]);
    for (const o of objects) expect(Number.isInteger(wave(o)), `${o.kind} has a sync wave`).toBe(true);
    const of = (kind: string) => wave(find(kind));
    expect(of('Namespace')).toBe(of('ServiceAccount'));
    expect(of('Namespace')).toBeLessThan(of('Certificate'));
    expect(of('Certificate')).toBeLessThan(of('Deployment'));
    for (const k of ['ConfigMap', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'PodMonitor', 'PrometheusRule']) expect(of(k)).toBe(of('Deployment'));
    expect(of('Deployment')).toBeLessThan(of('ValidatingWebhookConfiguration'));
    expect(of('MutatingWebhookConfiguration')).toBe(of('ValidatingWebhookConfiguration'));
    expect(Math.max(...objects.map(wave))).toBe(of('ValidatingWebhookConfiguration'));
  });

  it('writes the bundle JSON Schema next to the bundle, and the bundle conforms to it', () => {
    const schema = JSON.parse(readFileSync(path.join(outA, 'portcullis-bundle.schema.json'), 'utf8')) as Record<string, Json>;
    expect(schema.properties.apiVersion.const).toBe(bundle.apiVersion);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(bundle).sort());
    expect(JSON.stringify(schema)).toContain('"verifyImages"');
  });

  it('carries the same bundle in the JSON file and the ConfigMap, its hash on the pod template', () => {
    const cm = find('ConfigMap', 'portcullis-bundle') as K8sObject & { data: Record<string, string> };
    const file = readFileSync(path.join(outA, 'portcullis-bundle.json'), 'utf8');
    expect(cm.data['bundle.json']).toBe(file);
    expect(file).toBe(prettyCanonicalJson(bundle));
    const hash = bundleHash(bundle);
    const dep = find('Deployment') as Json;
    expect(dep.spec.template.metadata.annotations[BUNDLE_HASH_ANNOTATION]).toBe(hash);
    expect(cm.metadata.annotations?.[BUNDLE_HASH_ANNOTATION]).toBe(hash);
    expect(loadBundle(cm.data['bundle.json'], { expectedHash: hash }).hash).toBe(hash);
    const env = dep.spec.template.spec.containers[0].env.find((e: Json) => e.name === 'PORTCULLIS_BUNDLE_HASH');
    expect(env.valueFrom.fieldRef.fieldPath).toBe(`metadata.annotations['${BUNDLE_HASH_ANNOTATION}']`);
  });

  it('has webhook configurations mirroring the bundle, with cert-manager CA injection from an existing Certificate', () => {
    const entries = (kind: string) => ((find(kind) as Json).webhooks as Array<{ name: string; clientConfig: { service: { path: string } } }>).map((w) => [w.name, w.clientConfig.service.path]);
    expect(entries('MutatingWebhookConfiguration')).toEqual(bundle.webhooks.filter((w) => w.type === 'mutating').map((w) => [w.name, w.path]));
    expect(entries('ValidatingWebhookConfiguration')).toEqual(bundle.webhooks.filter((w) => w.type === 'validating').map((w) => [w.name, w.path]));
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const ref = find(kind).metadata.annotations?.['cert-manager.io/inject-ca-from'] ?? '';
      const [ns, name] = ref.split('/');
      const cert = find('Certificate', name) as Json;
      expect(cert.metadata.namespace).toBe(ns);
      expect(cert.spec.dnsNames).toContain('portcullis.portcullis-system.svc');
      expect(cert.spec.secretName).toBe((find('Deployment') as Json).spec.template.spec.volumes.find((v: Json) => v.name === 'tls').secret.secretName);
    }
  });

  it('runs the webhook as the design asks: HPA-owned replicas (min 3), spread, PDB, critical priority, explicit resources, HTTPS probes', () => {
    const dep = find('Deployment') as Json;
    const pod = dep.spec.template.spec;
    const podLabels = dep.spec.template.metadata.labels;
    expect(dep.spec.replicas, 'replicas belong to the HPA (no Argo CD drift)').toBeUndefined();
    const hpa = find('HorizontalPodAutoscaler') as Json;
    expect(hpa.spec).toMatchObject({ minReplicas: 3, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: dep.metadata.name } });
    const pdb = find('PodDisruptionBudget') as Json;
    expect(matchesLabelSelector(pdb.spec.selector, podLabels)).toBe(true);
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(matchesLabelSelector(dep.spec.selector, podLabels)).toBe(true);
    expect(matchesLabelSelector({ matchLabels: (find('Service') as Json).spec.selector }, podLabels)).toBe(true);
    expect(pod.topologySpreadConstraints.map((t: { topologyKey: string }) => t.topologyKey)).toContain('kubernetes.io/hostname');
    for (const t of pod.topologySpreadConstraints) expect(matchesLabelSelector(t.labelSelector, podLabels)).toBe(true);
    expect(pod.priorityClassName).toBe('system-cluster-critical');
    expect(pod.serviceAccountName).toBe(find('ServiceAccount').metadata.name);
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = pod.containers[0];
    expect(c.resources.requests).toEqual({ cpu: '200m', memory: '128Mi' });
    expect(c.resources.limits).toEqual({ cpu: '1', memory: '256Mi' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 8443, scheme: 'HTTPS' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 8443, scheme: 'HTTPS' });
    expect(c.args).toEqual(['serve', '--bundle', '/etc/portcullis/bundle/bundle.json', '--tls-cert', '/etc/portcullis/tls/tls.crt', '--tls-key', '/etc/portcullis/tls/tls.key', '--port', '8443', '--body-budget-mib', '24']);
    const ns = find('Namespace');
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('sizes the V8 heap and the in-flight body budget from the memory limit (the server default is the 256 MiB one)', () => {
    expect(bodyBudgetFor(256) * 1024 * 1024).toBe(DEFAULT_BODY_BUDGET.capacityBytes);
    expect([bodyBudgetFor(512), bodyBudgetFor(128), bodyBudgetFor(32)]).toEqual([48, 12, 8]);
    const out = tempDir();
    const app = newApp({ outdir: out, runtime: { resources: { memoryLimitMebibytes: 512 } } });
    new PodSecurity(new Policy(app, 'pss', { mode: 'Enforce' }), 'restricted', { level: 'restricted', version: 'latest' });
    app.synth();
    const dep = readManifests(out).find((m) => m.object.kind === 'Deployment')?.object as Json;
    const c = dep.spec.template.spec.containers[0];
    expect(c.resources.limits.memory).toBe('512Mi');
    expect(c.args.slice(-2)).toEqual(['--body-budget-mib', '48']);
    expect(c.env.find((e: { name: string }) => e.name === 'NODE_OPTIONS').value).toBe('--max-old-space-size=320 --max-semi-space-size=8');
  });

  it("passes the restricted Pod Security profile, as the engine's podSecurity rule checks it", async () => {
    const app = newApp();
    new PodSecurity(new Policy(app, 'pss', { mode: 'Enforce', controllers: ['Deployment'] }), 'restricted', { level: 'restricted', version: 'latest' });
    const policies = app.build().bundle.policies;
    const check = (object: unknown) => {
      const input: AdmissionInput = {
        uid: 'u',
        kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
        resource: { group: 'apps', version: 'v1', resource: 'deployments' },
        operation: 'CREATE',
        namespace: 'restricted-check',
        name: 'portcullis',
        object,
      };
      return evaluate('validate', input, policies, { now: new Date('2026-06-01T00:00:00Z') });
    };
    const dep = find('Deployment');
    const decision = await check(dep);
    expect(decision.errors).toEqual([]);
    expect(decision.results.some((r) => r.rule === 'restricted' && r.result === 'pass')).toBe(true);
    expect(decision.violations).toEqual([]);
    expect(decision.allowed).toBe(true);
    // The same check on a weakened copy fails, so the pass above is a real verdict.
    const weakened = structuredClone(dep) as Json;
    delete weakened.spec.template.spec.containers[0].securityContext.capabilities;
    weakened.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    const denied = await check(weakened);
    expect(denied.allowed).toBe(false);
    expect(denied.violations.map((v) => v.control).sort()).toEqual(['allowPrivilegeEscalation', 'capabilities_restricted']);
  });
});

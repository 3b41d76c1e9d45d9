/** The documented Argo CD Application matches what synth writes into dist/. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const app = parse(readFileSync(path.join(root, 'docs/argocd-application.yaml'), 'utf8'));
const files = readdirSync(path.join(root, 'dist')).sort();
interface K8sObject {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}
const objects: K8sObject[] = files
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(path.join(root, 'dist', f), 'utf8')).map((d) => d.toJS() as K8sObject));

/** Argo CD's directory include glob, for the simple `*` patterns used here. */
function globMatches(glob: string, name: string): boolean {
  return new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`).test(name);
}

describe('docs/argocd-application.yaml', () => {
  it('syncs dist/ and includes every manifest but not the bundle JSON (not a Kubernetes object)', () => {
    expect(app.kind).toBe('Application');
    expect(app.spec.source.path).toBe('dist');
    const include: string = app.spec.source.directory.include;
    expect(files.filter((f) => globMatches(include, f))).toEqual(files.filter((f) => f.endsWith('.yaml')));
    expect(globMatches(include, 'portcullis-bundle.json')).toBe(false);
    expect(app.spec.destination.namespace).toBe(objects.find((o) => o.kind === 'Namespace')?.metadata.name);
  });

  it('relies on the synthesized sync waves: admission configuration (webhooks and ValidatingAdmissionPolicies) last', () => {
    const wave = (o: K8sObject) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave']);
    expect(objects.every((o) => Number.isInteger(wave(o)))).toBe(true);
    const admission = /WebhookConfiguration$|^ValidatingAdmissionPolicy(Binding)?$/;
    const webhooks = objects.filter((o) => admission.test(o.kind));
    expect(webhooks.filter((o) => /WebhookConfiguration$/.test(o.kind)).length).toBe(2);
    expect(webhooks.length).toBeGreaterThan(2);
    const others = objects.filter((o) => !admission.test(o.kind));
    expect(Math.min(...webhooks.map(wave))).toBeGreaterThan(Math.max(...others.map(wave)));
    expect(app.spec.syncPolicy.syncOptions).not.toContain('PruneLast=true');
  });

  it('has nothing a controller rewrites in dist/, and ignores only the injected caBundle', () => {
    expect(JSON.stringify(objects)).not.toContain('caBundle');
    const webhookKinds = objects.filter((o) => /WebhookConfiguration$/.test(o.kind)).map((o) => o.kind).sort();
    expect(app.spec.ignoreDifferences.map((d: { kind: string }) => d.kind).sort()).toEqual(webhookKinds);
    for (const d of app.spec.ignoreDifferences) expect(d.jqPathExpressions).toEqual(['.webhooks[]?.clientConfig.caBundle']);
    for (const o of objects.filter((x) => /WebhookConfiguration$/.test(x.kind))) {
      expect(o.metadata.annotations?.['cert-manager.io/inject-ca-from']).toMatch(/^portcullis-system\//);
    }
    const deployment = objects.find((o) => o.kind === 'Deployment');
    expect(deployment?.spec?.replicas).toBeUndefined();
    expect(objects.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(true);
  });
});

/**
 * The scan examples and the example AdmissionReviews as differential inputs: every rule of the
 * reference bundle that runs natively (its `nativeRules`) must decide them exactly as the engine —
 * `examples/workloads` (what `portcullis scan` reads, with its namespaces' labels) and
 * `examples/admission` (CREATE, dry run, and the `pods/ephemeralcontainers` UPDATE of kubectl debug).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../runtime/bundle';
import type { NativeRequest } from './cel-harness';
import { compileForTest, expectEqual } from './differential';
import { requestFor } from './family-fixtures';

const ROOT = path.resolve(__dirname, '../..');
const bundle = JSON.parse(readFileSync(path.join(ROOT, 'dist/portcullis-bundle.json'), 'utf8')) as { policies: Policy[] };

type K8sObject = { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };

function workloadRequests(): NativeRequest[] {
  const dir = path.join(ROOT, 'examples/workloads');
  const objects = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject));
  const labels = new Map(objects.filter((o) => o.kind === 'Namespace').map((o) => [o.metadata?.name ?? '', o.metadata?.labels ?? {}]));
  return objects.flatMap((o) => {
    const namespace = o.metadata?.namespace ?? 'default';
    return requestFor(o, namespace, labels.get(namespace) ?? {}) ?? [];
  });
}

interface ReviewRequest {
  operation: string;
  kind: NativeRequest['kind'];
  resource: NativeRequest['resource'];
  subResource?: string;
  namespace: string;
  object?: unknown;
  oldObject?: unknown;
}

function reviewRequests(): NativeRequest[] {
  const dir = path.join(ROOT, 'examples/admission');
  const out: NativeRequest[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const r = (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { request: ReviewRequest }).request;
    // Validating admission (webhook and ValidatingAdmissionPolicy alike) sees CREATE and UPDATE here.
    if (r.operation !== 'CREATE' && r.operation !== 'UPDATE') continue;
    out.push({
      operation: r.operation,
      kind: r.kind,
      resource: r.resource,
      ...(r.subResource !== undefined ? { subResource: r.subResource } : {}),
      namespace: r.namespace,
      // The API server does not send namespace labels; the examples' namespace is labelled like this.
      namespaceLabels: { 'payments.example.com/environment': 'production' },
      object: r.object,
      ...(r.oldObject !== undefined ? { oldObject: r.oldObject } : {}),
    });
  }
  return out;
}

describe('native compiler vs engine: the scan examples and the example AdmissionReviews', () => {
  const native = bundle.policies.filter((p) => (p.nativeRules ?? []).length > 0);
  const requests = [...workloadRequests(), ...reviewRequests()];

  it('the reference bundle runs rules natively and every one of them compiles', () => {
    expect(native.length).toBeGreaterThanOrEqual(3);
    for (const p of native) {
      const compiled = compileForTest(p, bundle.policies).results.filter((r) => r.kind === 'compiled').map((r) => r.rule);
      expect(compiled, p.name).toEqual(p.nativeRules);
    }
  });

  it('decide every example workload and AdmissionReview exactly as the engine', () => {
    expect(requests.map((r) => `${r.operation} ${r.kind.kind}${r.subResource !== undefined ? `/${r.subResource}` : ''}`)).toEqual(
      expect.arrayContaining(['CREATE Deployment', 'CREATE Pod', 'UPDATE Pod/ephemeralcontainers']),
    );
    let findings = 0;
    for (const p of native) {
      const compiled = compileForTest(p, bundle.policies);
      for (const req of requests) findings += Object.keys(expectEqual(p, compiled, req, bundle.policies).native).length;
    }
    // nginx:latest, unpinned images, the privileged root Pod: the examples exist to be refused.
    expect(findings).toBeGreaterThanOrEqual(5);
  });
});

/**
 * The sample AdmissionReviews in examples/admission/ (used by scripts/try-admission.sh and the
 * README) against the synthesized reference bundle, with every policy switched to Enforce: each is
 * a valid API-server request and gets the answer the script promises. The reference set is hybrid:
 * what the webhook no longer judges, the synthesized ValidatingAdmissionPolicies do (evaluated as the
 * API server does, test/native/dist-policies.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBundle, type Bundle } from '../../runtime/bundle';
import { nativeFailures } from '../native/dist-policies';
import type { NativeRequest } from '../native/cel-harness';
import type { Json } from './fixtures';
import { startHarness, type Harness } from './harness';

const ROOT = resolve(__dirname, '../..');
const example = (name: string): Json => JSON.parse(readFileSync(resolve(ROOT, 'examples/admission', `${name}.json`), 'utf8'));

function enforcedReferenceBundle(): Bundle {
  const raw = JSON.parse(readFileSync(resolve(ROOT, 'dist/portcullis-bundle.json'), 'utf8'));
  for (const p of raw.policies) p.mode = 'Enforce';
  return validateBundle(raw).bundle;
}

let h: Harness;
let mutate: string;
let validate: string;
let served: Bundle;

/** The ValidatingAdmissionPolicies' messages for an example (the reference `payments` namespace is production). */
function nativeMessages(body: Json): string[] {
  const request = { ...(body.request as NativeRequest), namespaceLabels: { 'payments.example.com/environment': 'production' } };
  return nativeFailures(resolve(ROOT, 'dist'), request).map((f) => f.message);
}

/** Does the webhook at `path` list `resource` (what the API server would send it)? */
function bundleServes(path: string, resource: string): boolean {
  return served.webhooks.some((w) => w.path === path && w.rules.some((r) => r.resources.includes(resource)));
}

beforeAll(async () => {
  const bundle = enforcedReferenceBundle();
  served = bundle;
  mutate = bundle.webhooks.find((w) => w.type === 'mutating' && w.policies.includes('resource-defaults'))!.path;
  validate = [...bundle.webhooks].filter((w) => w.type === 'validating').sort((a, b) => b.policies.length - a.policies.length)[0].path;
  h = await startHarness(bundle);
});
afterAll(async () => {
  await h.close();
});

describe('examples/admission against the reference policies (Enforce)', () => {
  it('pod-create-compliant: allowed, nothing to patch', async () => {
    const body = example('pod-create-compliant');
    expect((await h.post(validate, body)).json.response).toEqual({ uid: body.request.uid, allowed: true });
    expect((await h.post(mutate, body)).json.response).toEqual({ uid: body.request.uid, allowed: true });
  });

  it('pod-create-no-resources: the mutating webhook patches resources and seccomp', async () => {
    const res = (await h.post(mutate, example('pod-create-no-resources'))).json.response;
    const ops = JSON.parse(Buffer.from(res.patch as string, 'base64').toString('utf8')) as { path: string }[];
    expect(ops.map((o) => o.path)).toEqual(expect.arrayContaining(['/spec/containers/0/resources', '/spec/securityContext/seccompProfile']));
  });

  it('pod-create-privileged: the API server denies it with every violation (the webhook no longer judges those rules); pod-create-dry-run: the same', async () => {
    const body = example('pod-create-privileged');
    // payments is no namespace an expiring exemption keeps on the webhook: the webhook admits.
    expect((await h.post(validate, body)).json.response).toEqual({ uid: body.request.uid, allowed: true });
    const lines = nativeMessages(body).flatMap((m) => m.split(' | '));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.some((l) => l.includes('securityContext.privileged=true'))).toBe(true);
    expect(lines.some((l) => l.includes('hostNetwork=true'))).toBe(true);
    expect(nativeMessages(example('pod-create-dry-run'))).toEqual(nativeMessages(body));
  });

  it('pod-ephemeral-debug: a privileged debug container added by kubectl debug is denied', () => {
    const body = example('pod-ephemeral-debug');
    expect(body.request.subResource).toBe('ephemeralcontainers');
    expect(nativeMessages(body).join(' | ')).toContain('container "debugger-x7k2p"');
  });

  it('deployment-create: its template (no resources) is not patched, and admitted because its Pods will get the defaults', async () => {
    const body = example('deployment-create');
    expect(body.request.object.spec.template.spec.containers[0].resources).toBeUndefined();
    // The reference set does not mutate controllers (no GitOps drift): the mutating path does not
    // even serve Deployments, so the API server never sends one; answered untouched.
    expect(bundleServes(mutate, 'deployments')).toBe(false);
    expect((await h.post(mutate, body)).json.response).toEqual({ uid: body.request.uid, allowed: true });
    // resource-limits (Enforce here) judges the template as its Pods will be after resource-defaults.
    expect((await h.post(validate, body)).json.response).toEqual({ uid: body.request.uid, allowed: true });
  });

  it('pod-delete: allowed unevaluated', async () => {
    const body = example('pod-delete');
    expect((await h.post(validate, body)).json.response).toEqual({ uid: body.request.uid, allowed: true });
  });
});

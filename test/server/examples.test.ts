/**
 * The sample AdmissionReviews in examples/admission/ (used by scripts/try-admission.sh and the
 * README) against the synthesized reference bundle, with every policy switched to Enforce: each is
 * a valid API-server request and gets the answer the script promises.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBundle, type Bundle } from '../../runtime/bundle';
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

  it('pod-create-privileged: 403 listing every violation; pod-create-dry-run: the same verdict', async () => {
    const res = (await h.post(validate, example('pod-create-privileged'))).json.response;
    expect(res.allowed).toBe(false);
    expect(res.status.code).toBe(403);
    const lines: string[] = res.status.message.split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.some((l) => l.includes('securityContext.privileged=true'))).toBe(true);
    expect(lines.some((l) => l.includes('hostNetwork=true'))).toBe(true);
    const dry = (await h.post(validate, example('pod-create-dry-run'))).json.response;
    expect(dry.allowed).toBe(false);
    expect(dry.status.message).toBe(res.status.message);
  });

  it('pod-ephemeral-debug: a privileged debug container added by kubectl debug is denied', async () => {
    const body = example('pod-ephemeral-debug');
    expect(body.request.subResource).toBe('ephemeralcontainers');
    const res = (await h.post(validate, body)).json.response;
    expect(res.allowed).toBe(false);
    expect(res.status.message).toContain('container "debugger-x7k2p"');
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

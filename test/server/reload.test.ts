/**
 * Hot reload over real HTTPS: the bundle and the serving certificate are swapped through
 * kubelet-style `..data` symlink flips; valid changes apply atomically, invalid ones are refused and
 * the last good material keeps serving; the expected bundle hash is enforced.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bundleHash, prettyCanonicalJson } from '../../runtime/bundle';
import { COMPLIANT_CONTAINER, PATHS, pod, review, testBundle, type Json } from './fixtures';
import { startHarness, waitFor, type Harness } from './harness';
import { callHttps, issueLoopbackCert, issueTestCa } from '../helpers/tls';

const bare = { name: 'app', image: 'registry.example.com/team/app:1.4.2' };
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function defaultedLimits(harness: Harness): Promise<Json> {
  const r = await harness.post(PATHS.mutate, review({ object: pod('web', [bare]) }));
  const ops = JSON.parse(Buffer.from(r.json.response.patch as string, 'base64').toString('utf8')) as Json[];
  return ops.find((o) => String(o.path).endsWith('/resources'))?.value.limits;
}

async function readyHash(harness: Harness): Promise<string | undefined> {
  const r = await harness.get('/readyz');
  return r.status === 200 ? (JSON.parse(r.text) as { bundle: string }).bundle : undefined;
}

describe('bundle hot reload', () => {
  it('swaps a changed bundle atomically when the ConfigMap volume flips ..data', async () => {
    const first = testBundle();
    const second = testBundle({ mutateDefaults: { cpu: '2', memory: '1Gi' } });
    h = await startHarness(first);
    expect(await defaultedLimits(h)).toEqual({ cpu: '500m', memory: '256Mi' });
    h.bundleVolume.update({ 'bundle.json': prettyCanonicalJson(second) });
    await waitFor('the new bundle', async () => (await readyHash(h!)) === bundleHash(second));
    expect(await defaultedLimits(h)).toEqual({ cpu: '2', memory: '1Gi' });
    expect((await h.get('/metrics')).text).toContain(`portcullis_bundle_info{hash="${bundleHash(second)}",name="server-test"} 1`);
    expect(h.logs().some((l) => l.msg === 'bundle loaded' && l.hash === bundleHash(second))).toBe(true);
  });

  it('refuses an invalid bundle, logs why, and keeps serving the last good one', async () => {
    const good = testBundle();
    h = await startHarness(good);
    const broken = JSON.parse(prettyCanonicalJson(good));
    broken.webhooks[0].policies = ['no-such-policy'];
    h.bundleVolume.update({ 'bundle.json': JSON.stringify(broken) });
    await waitFor('the refusal', () => h!.logs().some((l) => l.msg === 'bundle refused; keeping the last good bundle'));
    const refusal = h.logs().find((l) => l.msg === 'bundle refused; keeping the last good bundle')!;
    expect(refusal.reason).toContain('unknown policy "no-such-policy"');
    expect(refusal.level).toBe(50);
    expect(await readyHash(h)).toBe(bundleHash(good));
    const denied = await h.post(PATHS.validate, review({ object: pod('web', [bare]) }));
    expect(denied.json.response.allowed).toBe(false);
    // Not JSON at all: refused the same way.
    h.bundleVolume.update({ 'bundle.json': '{"apiVersion": "portcullis.dev/v1alpha1", ' });
    await waitFor('the second refusal', () => h!.logs().filter((l) => l.msg === 'bundle refused; keeping the last good bundle').length === 2);
    expect(await readyHash(h)).toBe(bundleHash(good));
    expect((await h.get('/metrics')).text).toContain('portcullis_bundle_reloads_total{result="refused"} 2');
  });

  it('with an expected hash: refuses any other bundle (a rollout in progress) and keeps serving', async () => {
    const expected = testBundle();
    const next = testBundle({ mutateDefaults: { cpu: '2', memory: '1Gi' } });
    h = await startHarness(expected, { expectedBundleHash: bundleHash(expected) });
    expect(await readyHash(h)).toBe(bundleHash(expected));
    h.bundleVolume.update({ 'bundle.json': prettyCanonicalJson(next) });
    await waitFor('the refusal', () => h!.logs().some((l) => String(l.reason).includes('does not match the expected')));
    expect(await readyHash(h)).toBe(bundleHash(expected));
    expect(await defaultedLimits(h)).toEqual({ cpu: '500m', memory: '256Mi' });
  });

  it('starting with a bundle that is not the expected one: alive, not ready, 503 on admission; ready once it arrives', async () => {
    const expected = testBundle();
    const other = testBundle({ mutateDefaults: { cpu: '2', memory: '1Gi' } });
    h = await startHarness(other, { expectedBundleHash: bundleHash(expected) });
    expect((await h.get('/healthz')).status).toBe(200);
    const ready = await h.get('/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toEqual({ status: 'no-valid-bundle' });
    const r = await h.post(PATHS.validate, review({ object: pod('web', [COMPLIANT_CONTAINER]) }));
    expect(r.status).toBe(503);
    h.bundleVolume.update({ 'bundle.json': prettyCanonicalJson(expected) });
    await waitFor('the expected bundle', async () => (await readyHash(h!)) === bundleHash(expected));
  });

  it('a reload can add a webhook path without restarting the listener', async () => {
    const first = testBundle();
    const second = testBundle();
    second.webhooks.push({ ...second.webhooks[1], name: 'validate-fail-10s-1.portcullis.dev', path: '/validate/fail-10s-1' });
    h = await startHarness(first);
    expect((await h.post('/validate/fail-10s-1', review({ object: pod('web', [bare]) }))).status).toBe(404);
    h.bundleVolume.update({ 'bundle.json': prettyCanonicalJson(second) });
    await waitFor('the new bundle', async () => (await readyHash(h!)) === bundleHash(second));
    const r = await h.post('/validate/fail-10s-1', review({ object: pod('web', [bare]) }));
    expect(r.json.response.allowed).toBe(false);
  });
});

describe('TLS certificate rotation', () => {
  it('serves a rotated certificate on new connections without a restart', async () => {
    h = await startHarness(testBundle());
    const before = await h.get('/healthz');
    const rotated = issueLoopbackCert(h.ca, 'localhost');
    h.tlsVolume.update({ 'tls.crt': rotated.cert, 'tls.key': rotated.key });
    await waitFor('the rotated certificate', async () => {
      const r = await h!.get('/healthz');
      return r.peer?.serialNumber !== before.peer?.serialNumber;
    });
    const after = await h.get('/healthz');
    expect(after.peer?.fingerprint256).toBe(new (await import('node:crypto')).X509Certificate(rotated.cert).fingerprint256);
    expect(h.logs().some((l) => l.msg === 'TLS certificate reloaded')).toBe(true);
    // Admission keeps working over the new certificate.
    expect((await h.post(PATHS.validate, review({ object: pod('web', [COMPLIANT_CONTAINER]) }))).json.response.allowed).toBe(true);
  });

  it('refuses a certificate whose key does not match (half-written rotation) and keeps the old one', async () => {
    h = await startHarness(testBundle());
    const before = await h.get('/healthz');
    const a = issueLoopbackCert(h.ca);
    const b = issueLoopbackCert(h.ca);
    h.tlsVolume.update({ 'tls.crt': a.cert, 'tls.key': b.key });
    await waitFor('the refusal', () => h!.logs().some((l) => l.msg === 'TLS material refused; keeping the current certificate'));
    const after = await h.get('/healthz');
    expect(after.status).toBe(200);
    expect(after.peer?.serialNumber).toBe(before.peer?.serialNumber);
  });

  it('a client that trusts only the old CA fails after rotation to a new CA, one that trusts the new CA succeeds', async () => {
    h = await startHarness(testBundle());
    const newCa = issueTestCa('Portcullis rotated CA');
    const rotated = issueLoopbackCert(newCa);
    h.tlsVolume.update({ 'tls.crt': rotated.cert, 'tls.key': rotated.key });
    const port = h.port;
    await waitFor('the new CA', async () => {
      try {
        return (await callHttps({ port, path: '/healthz', ca: newCa.cert })).status === 200;
      } catch {
        return false;
      }
    });
    await expect(callHttps({ port, path: '/healthz', ca: h.ca.cert })).rejects.toThrow(/self-signed|unable to verify|certificate/i);
  });
});

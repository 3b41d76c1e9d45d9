/**
 * The admission contract over real HTTPS on loopback: API-server-shaped AdmissionReviews (Pod and
 * Deployment create, ephemeral-container update, dry-run, delete, connect), checked on status
 * codes, response bodies, applied patches, metrics and logs.
 */
import { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jsonpatch, { type Operation } from 'fast-json-patch';
import { bundleHash } from '../../runtime/bundle';
import { COMPLIANT_CONTAINER, PATHS, deployment, pod, review, testBundle, type ContainerSpec, type Json } from './fixtures';
import { startHarness, type Harness } from './harness';
import { callHttps } from '../helpers/tls';

const bare: ContainerSpec = { name: 'app', image: 'registry.example.com/team/app:1.4.2' };
const bundle = testBundle();
let h: Harness;

beforeAll(async () => {
  h = await startHarness(bundle);
});
afterAll(async () => {
  await h.close();
});

function decodePatch(patch: string): Operation[] {
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as Operation[];
}

describe('admission over HTTPS', () => {
  it('serves the certificate signed by the test CA and reports ready with the bundle hash', async () => {
    const r = await h.get('/readyz');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ status: 'ready', bundle: bundleHash(bundle) });
    expect(r.peer?.subject?.CN).toBe('localhost');
    expect((await h.get('/healthz')).status).toBe(200);
  });

  it('allows a compliant Pod and echoes the uid, with no patch, status or warnings', async () => {
    const body = review({ object: pod('web', [COMPLIANT_CONTAINER]) });
    const r = await h.post(PATHS.validate, body);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('application/json');
    expect(r.json).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: body.request.uid, allowed: true } });
  });

  it('denies a violating Pod with 403 and a message that lists every violation', async () => {
    const body = review({ object: pod('web', [bare, { ...bare, name: 'sidecar' }]) });
    const r = await h.post(`${PATHS.validate}?timeout=10s`, body);
    expect(r.status).toBe(200);
    const res = r.json.response;
    expect(res.uid).toBe(body.request.uid);
    expect(res.allowed).toBe(false);
    expect(res.status.code).toBe(403);
    expect(res.status.reason).toBe('Forbidden');
    const lines: string[] = res.status.message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[resource-limits\/limits\] requireResources: container "app" .*cpu and memory limit/);
    expect(lines[1]).toContain('container "sidecar"');
    for (const line of lines) expect(line).toContain('To request an exemption: https://platform.example.com/exemptions');
    expect(res.patch).toBeUndefined();
  });

  it('mutates a Pod: base64 JSONPatch that, applied, makes the Pod pass validation', async () => {
    const object = pod('web', [bare]);
    const r = await h.post(PATHS.mutate, review({ object }));
    const res = r.json.response;
    expect(res.allowed).toBe(true);
    expect(res.patchType).toBe('JSONPatch');
    const patched = jsonpatch.applyPatch(structuredClone(object), decodePatch(res.patch)).newDocument as Json;
    expect(patched.spec.containers[0].resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    const v = await h.post(PATHS.validate, review({ object: patched }));
    expect(v.json.response.allowed).toBe(true);
  });

  it('sends no patch field when there is nothing to mutate', async () => {
    const r = await h.post(PATHS.mutate, review({ object: pod('web', [COMPLIANT_CONTAINER]) }));
    expect(r.json.response).toEqual({ uid: expect.any(String), allowed: true });
  });

  it('mutates a Deployment in its pod template', async () => {
    const object = deployment('api', [bare]);
    const r = await h.post(PATHS.mutate, review({ object }));
    const ops = decodePatch(r.json.response.patch);
    expect(ops.length).toBeGreaterThan(0);
    for (const op of ops) expect(op.path.startsWith('/spec/template/spec/containers/0')).toBe(true);
    const patched = jsonpatch.applyPatch(structuredClone(object), ops).newDocument as Json;
    expect(patched.spec.template.spec.containers[0].resources.limits).toEqual({ cpu: '500m', memory: '256Mi' });
    // Unmutated, the validating path judges the template as its Pods will be after the bundle's Pod
    // defaults (engine/pod-defaults-relief.ts): admitted; an explicit empty limits map is not defaulted.
    const relieved = review({ object });
    expect((await h.post(PATHS.validate, relieved)).json.response).toEqual({ uid: relieved.request.uid, allowed: true });
    const body = review({ object: deployment('api', [{ ...bare, resources: { limits: {} } }]) });
    const denied = await h.post(PATHS.validate, body);
    expect(denied.json.response.allowed).toBe(false);
    expect(denied.json.response.status.message).toContain('container "app" has no cpu and memory limit');
    expect((await h.admissionLogs(body.request.uid))[0]).toMatchObject({ kind: 'Deployment', decision: 'denied', name: 'api' });
  });

  it('evaluates a pods/ephemeralcontainers UPDATE (kubectl debug) with object and oldObject', async () => {
    const old = pod('web', [COMPLIANT_CONTAINER]);
    const object = structuredClone(old) as Json;
    object.spec.ephemeralContainers = [{ name: 'debugger-x7k2p', image: 'busybox:1.36', stdin: true, tty: true, targetContainerName: 'app', terminationMessagePolicy: 'File' }];
    const body = review({ operation: 'UPDATE', object, oldObject: old, subResource: 'ephemeralcontainers' });
    const r = await h.post(PATHS.validate, body);
    expect(r.json.response).toEqual({ uid: body.request.uid, allowed: true });
    const log = (await h.admissionLogs(body.request.uid))[0];
    expect(log).toMatchObject({ operation: 'UPDATE', subResource: 'ephemeralcontainers', kind: 'Pod', decision: 'allowed' });
    // The path that serves only `pods` does not select the subresource: allowed untouched, unevaluated.
    const skipped = await h.post(PATHS.imagesFail, body);
    expect(skipped.json.response).toEqual({ uid: body.request.uid, allowed: true });
    expect((await h.admissionLogs(body.request.uid, 2)).map((l) => l.decision)).toEqual(['allowed', 'skipped']);
  });

  it('honours dryRun: the same verdict, and no policy-result side effects', async () => {
    const before = await h.get('/metrics');
    const body = review({ object: pod('web', [bare]), dryRun: true });
    const r = await h.post(PATHS.validate, body);
    expect(r.json.response.allowed).toBe(false);
    const after = await h.get('/metrics');
    const results = (t: string): string[] => t.split('\n').filter((l) => l.startsWith('portcullis_policy_results_total'));
    expect(results(after.text)).toEqual(results(before.text));
    expect((await h.admissionLogs(body.request.uid))[0]).toMatchObject({ dryRun: true, decision: 'denied' });
  });

  it('allows DELETE and CONNECT unevaluated', async () => {
    const del = review({ operation: 'DELETE', object: null, oldObject: pod('web', [bare]) });
    const r = await h.post(PATHS.validate, del);
    expect(r.json.response).toEqual({ uid: del.request.uid, allowed: true });
    const conn = review({ operation: 'CONNECT', object: { kind: 'PodExecOptions', apiVersion: 'v1', container: 'app', command: ['sh'] } });
    (conn.request as Json).kind = { group: '', version: 'v1', kind: 'PodExecOptions' };
    (conn.request as Json).resource = { group: '', version: 'v1', resource: 'pods' };
    (conn.request as Json).subResource = 'exec';
    expect((await h.post(PATHS.validate, conn)).json.response).toEqual({ uid: conn.request.uid, allowed: true });
  });

  it('allows a kind the path does not serve untouched', async () => {
    const cm = review({ object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cfg', namespace: 'team-a' }, data: { a: 'b' } } });
    expect((await h.post(PATHS.mutate, cm)).json.response).toEqual({ uid: cm.request.uid, allowed: true });
    const dep = review({ object: deployment('api', [bare]) });
    expect((await h.post(PATHS.imagesFail, dep)).json.response).toEqual({ uid: dep.request.uid, allowed: true });
  });

  it('Audit: admits with warnings kubectl shows well and audit annotations', async () => {
    const containers = Array.from({ length: 14 }, (_, i) => ({ ...bare, name: `worker-${i}` }));
    const body = review({ object: pod('batch', containers) });
    const r = await h.post(PATHS.audit, body);
    const res = r.json.response;
    expect(res.allowed).toBe(true);
    expect(res.status).toBeUndefined();
    expect(res.warnings).toHaveLength(10);
    for (const w of res.warnings) expect(w.length).toBeLessThanOrEqual(120);
    expect(res.warnings[0]).toMatch(/^\[resource-audit\/requests\] requireResources: container "worker-0"/);
    expect(res.warnings[9]).toContain('5 more');
    expect(Object.keys(res.auditAnnotations)).toEqual(['resource-audit']);
    expect(res.auditAnnotations['resource-audit']).toContain('requests/requireResources(worker-0)');
    expect(res.auditAnnotations['resource-audit'].length).toBeLessThanOrEqual(1024);
  });

  it('failurePolicy Fail: an evaluation error (registry down) denies and says it was an error', async () => {
    const body = review({ object: pod('web', [{ ...COMPLIANT_CONTAINER, image: '127.0.0.1:1/team/app:1.0' }]) });
    const r = await h.post(PATHS.imagesFail, body);
    const res = r.json.response;
    expect(res.allowed).toBe(false);
    expect(res.status.code).toBe(500);
    expect(res.status.message).toContain('[signed-images-fail/signed] evaluation error (not a policy verdict)');
    expect(res.status.message).toContain('failurePolicy Fail');
    expect((await h.admissionLogs(body.request.uid))[0]).toMatchObject({ decision: 'error_denied' });
  });

  it('failurePolicy Ignore: an evaluation error admits with a warning', async () => {
    const body = review({ object: pod('web', [{ ...COMPLIANT_CONTAINER, image: '127.0.0.1:1/team/app:1.0' }]) });
    const res = (await h.post(PATHS.imagesIgnore, body)).json.response;
    expect(res.allowed).toBe(true);
    expect(res.warnings).toHaveLength(1);
    expect(res.warnings[0]).toContain('[signed-images-ignore/signed] evaluation error');
    expect(res.status).toBeUndefined();
  });

  it('accepts a request above Fastify’s 1 MiB default (large objects) and refuses one above the limit with 413', async () => {
    const big = pod('web', [COMPLIANT_CONTAINER]) as Json;
    big.metadata.annotations = { 'example.com/blob': 'x'.repeat(5 * 1024 * 1024) };
    const ok = await h.post(PATHS.validate, review({ object: big }));
    expect(ok.status).toBe(200);
    expect(ok.json.response.allowed).toBe(true);
    big.metadata.annotations['example.com/blob'] = 'x'.repeat(9 * 1024 * 1024);
    const tooBig = await h.post(PATHS.validate, review({ object: big }));
    expect(tooBig.status).toBe(413);
  });
});

describe('malformed requests get a clear 400, never a crash and never an allow', () => {
  const valid = (): Json => review({ object: pod('web', [bare]) });
  const cases: [string, () => { body: unknown; headers?: Record<string, string> }, RegExp][] = [
    ['not JSON', () => ({ body: '{"apiVersion": "admission.k8s.io/v1", "kind": ' }), /not valid JSON/],
    ['empty body', () => ({ body: '' }), /empty body/],
    ['wrong content type', () => ({ body: JSON.stringify(valid()), headers: { 'content-type': 'text/plain' } }), /wrong content type/],
    ['v1beta1 AdmissionReview', () => ({ body: { ...valid(), apiVersion: 'admission.k8s.io/v1beta1' } }), /apiVersion/],
    ['wrong kind', () => ({ body: { ...valid(), kind: 'TokenReview' } }), /kind/],
    ['no request', () => ({ body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' } }), /request/],
    ['no uid', () => { const b = valid(); delete b.request.uid; return { body: b }; }, /uid/],
    ['uid of the wrong type (no coercion)', () => { const b = valid(); b.request.uid = 12345; return { body: b }; }, /uid/],
    ['unknown operation', () => { const b = valid(); b.request.operation = 'PATCH'; return { body: b }; }, /operation/],
    ['object not an object', () => { const b = valid(); b.request.object = 'a pod'; return { body: b }; }, /object/],
    ['containers not a list', () => { const b = valid(); b.request.object.spec.containers = { name: 'app' }; return { body: b }; }, /spec\.containers must be a list/],
    ['CREATE without an object', () => { const b = valid(); b.request.object = null; return { body: b }; }, /must be a JSON object/],
    ['prototype poisoning', () => ({ body: '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","__proto__":{"allowed":true}}' }), /./],
  ];
  for (const [name, make, message] of cases) {
    it(name, async () => {
      const { body, headers } = make();
      const r = await h.post(PATHS.validate, body, headers);
      expect(r.status).toBe(400);
      expect(r.json.statusCode).toBe(400);
      expect(r.json.message).toMatch(message);
      expect(r.text).not.toContain('"allowed":true');
    });
  }

  it('answers 404 for a path no webhook entry serves, and the server is still healthy after all that', async () => {
    const r = await h.post('/validate/nope', valid());
    expect(r.status).toBe(404);
    expect((await h.get('/healthz')).status).toBe(200);
    expect((await h.post(PATHS.validate, valid())).json.response.allowed).toBe(false);
  });
});

describe('concurrent reviews (evaluated together per event-loop turn)', () => {
  it('answers 24 concurrent reviews on 24 connections, each with its own uid, verdict, patch and log line', async () => {
    const metricValue = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    const before = (await h.get('/metrics')).text;
    const cases = Array.from({ length: 24 }, (_, i) => {
      const compliant = i % 3 !== 0;
      const path = i % 2 === 0 ? PATHS.validate : PATHS.mutate;
      const body = review({ object: pod(`p${i}`, [{ ...(compliant ? COMPLIANT_CONTAINER : bare), name: `app${i}` }]) });
      return { compliant, path, body };
    });
    const answers = await Promise.all(cases.map((c) => h.post(c.path, c.body)));
    for (const [i, r] of answers.entries()) {
      const { compliant, path, body } = cases[i];
      expect(r.status).toBe(200);
      expect(r.json.response.uid).toBe(body.request.uid);
      if (path === PATHS.validate) {
        expect(r.json.response.allowed).toBe(compliant);
        if (!compliant) expect(r.json.response.status.message).toContain(`container "app${i}" has no cpu and memory limit`);
      } else {
        expect(r.json.response.allowed).toBe(true);
        // Only the bare container lacks the defaults the mutating webhook adds.
        expect(r.json.response.patch !== undefined).toBe(!compliant);
      }
      const lines = await h.admissionLogs(body.request.uid);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ name: `p${i}`, decision: r.json.response.allowed === true ? 'allowed' : 'denied' });
    }
    const after = (await h.get('/metrics')).text;
    // Every evaluated review was counted in exactly one batch.
    expect(metricValue(after, 'portcullis_admission_batch_size_sum') - metricValue(before, 'portcullis_admission_batch_size_sum')).toBe(24);
    expect(metricValue(after, 'portcullis_admission_batch_size_count') - metricValue(before, 'portcullis_admission_batch_size_count')).toBeGreaterThan(0);
  });
});

describe('metrics and logs', () => {
  it('exposes requests, latency buckets, policy results, bundle info and the signature cache', async () => {
    h.server.metrics.cacheHit();
    h.server.metrics.cacheMiss();
    h.server.metrics.cacheMiss();
    const m = (await h.get('/metrics')).text;
    expect(m).toMatch(/portcullis_admission_requests_total\{webhook="\/validate\/fail-10s-0",operation="CREATE",kind="Pod",decision="denied"\} [1-9]/);
    expect(m).toMatch(/portcullis_admission_requests_total\{webhook="\/mutate\/fail-10s-0",operation="CREATE",kind="Deployment",decision="allowed"\} [1-9]/);
    expect(m).toMatch(/portcullis_admission_requests_total\{webhook="\/validate\/fail-10s-0",operation="DELETE",kind="Pod",decision="skipped"\} 1/);
    // Kinds Portcullis does not evaluate share one label value (callers cannot mint label values).
    expect(m).toMatch(/portcullis_admission_requests_total\{webhook="\/mutate\/fail-10s-0",operation="CREATE",kind="other",decision="skipped"\} 1/);
    expect(m).not.toContain('kind="ConfigMap"');
    for (const le of ['0.001', '0.002', '0.005', '0.01', '0.025', '0.05', '0.1']) {
      expect(m).toContain(`portcullis_admission_duration_seconds_bucket{le="${le}",webhook="/validate/fail-10s-0"}`);
    }
    expect(m).toMatch(/portcullis_policy_results_total\{policy="resource-limits",rule="limits",result="fail"\} [1-9]/);
    expect(m).toMatch(/portcullis_policy_results_total\{policy="resource-limits",rule="limits",result="pass"\} [1-9]/);
    expect(m).toContain(`portcullis_bundle_info{hash="${bundleHash(bundle)}",name="server-test"} 1`);
    expect(m).toContain('portcullis_signature_cache_hits_total 1');
    expect(m).toContain('portcullis_signature_cache_misses_total 2');
    expect(m).toMatch(/portcullis_invalid_requests_total\{reason="schema"\} [1-9]/);
    expect(m).toContain('portcullis_process_resident_memory_bytes');
  });

  it('logs one structured line per admission, without object bodies or credentials', async () => {
    const body = review({ object: pod('secret-web', [{ ...bare, image: 'registry.example.com/team/very-private-image:9' }]) });
    await h.post(PATHS.validate, body);
    const line = (await h.admissionLogs(body.request.uid))[0];
    expect(line).toMatchObject({
      level: 30,
      msg: 'admission',
      webhook: PATHS.validate,
      operation: 'CREATE',
      kind: 'Pod',
      namespace: 'team-a',
      name: 'secret-web',
      decision: 'denied',
      violations: ['resource-limits/limits:requireResources'],
    });
    expect(typeof line.durationMs).toBe('number');
    const raw = h.rawLogs();
    expect(raw).not.toContain('very-private-image');
    expect(raw).not.toContain('X509SHA256');
    expect(raw).not.toContain('kubernetes-admin');
    expect(raw).not.toContain('BEGIN');
  });
});

describe('shutdown over HTTPS', () => {
  it('answers during the drain delay, and each answer closes its kept-alive connection', async () => {
    const own = await startHarness(bundle);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const call = (path: string, body?: unknown) =>
      callHttps({ port: own.port, path, ca: own.ca.cert, agent, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    try {
      expect((await call('/healthz')).headers.connection).toBe('keep-alive');
      const closing = own.server.shutdown({ drainDelayMs: 400, graceMs: 3000 });
      const ready = await call('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.headers.connection).toBe('close');
      const answered = await call(PATHS.validate, review({ object: pod('web', [COMPLIANT_CONTAINER]) }));
      expect(answered.status).toBe(200);
      expect(answered.headers.connection).toBe('close');
      expect((JSON.parse(answered.text) as { response: { allowed: boolean } }).response.allowed).toBe(true);
      expect(await closing).toBe(true);
    } finally {
      agent.destroy();
      await own.close();
    }
  });
});
